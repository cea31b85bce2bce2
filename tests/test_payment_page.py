"""The client's payment page, from outside: no login, only the invoice's
token; the card payment through Odoo's payment_stripe end to end (only
Stripe's HTTP endpoint is replaced, see fake_stripe.py); the refusals; a
client's portal login.

Claire (demo) has opened her sales service: her workspace receives
payments in "Compte de paiement webo" and offers bank transfer; card
payment is switched on by the platform for the tests that need it.
"""
import re
import threading
import uuid
import xmlrpc.client
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fake_stripe import DECLINED_TOKEN, recorded
from test_invoicing_api import ACCESS_ERROR, assert_fault, local_url, mail_to, read_invoice, send_invoice

INVOICE_AMOUNT = 500.0


def jsonrpc(session, url, params):
    """A JSON-RPC call as the page's JavaScript makes it: (result, error)."""
    reply = session.post(url, json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1},
                         timeout=120)
    assert reply.status_code == 200, reply.text[:500]
    body = reply.json()
    return body.get("result"), body.get("error")


def page_url(claire, odoo_url, invoice):
    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    return local_url(odoo_url, record["webo_payment_url"])


def token_of(url):
    return parse_qs(urlsplit(url).query)["access_token"][0]


def transactions(admin, invoice):
    return admin.execute("payment.transaction", "search_read", [("account_invoice_id", "=", invoice)],
                         fields=["id", "reference", "state", "amount"])


def payments(admin, invoice):
    return admin.execute("account.payment", "search_read", [("invoice_ids", "in", [invoice])],
                         fields=["amount", "journal_id", "payment_transaction_id", "state"])


@pytest.fixture()
def claire_card(admin, claire, fake_stripe):
    """Card payment on for Claire's workspace, as the platform operator sets
    it up (Stripe keys, published), Stripe's API on loopback; all undone at
    the end. Returns the card acquirer's id."""
    (user,) = claire.execute("res.users", "read", [claire.uid], ["company_id"])
    (card,) = admin.execute("payment.acquirer", "search", [
        ("company_id", "=", user["company_id"][0]), ("provider", "=", "stripe")])
    admin.execute("payment.acquirer", "write", [card], {
        "stripe_secret_key": "sk_test_webo", "stripe_publishable_key": "pk_test_webo",
        "website_published": True})
    admin.execute("ir.config_parameter", "set_param", "webo_sale.stripe_api_host", fake_stripe.host)
    try:
        yield card
    finally:
        admin.execute("payment.acquirer", "write", [card], {"website_published": False})
        admin.execute("ir.config_parameter", "set_param", "webo_sale.stripe_api_host", "")


def start_card_payment(odoo_url, invoice, url, card):
    """What the page's payment form does on "Payer maintenant": the
    transaction, and the form Stripe's checkout is fed with."""
    browser = requests.Session()
    form, error = jsonrpc(browser, "%s/invoice/pay/%d/form_tx" % (odoo_url, invoice),
                          {"acquirer_id": card, "access_token": token_of(url)})
    assert error is None and form, (form, error)
    fields = dict(re.findall(r"name=['\"](\w+)['\"] value=['\"]([^'\"]*)['\"]", form))
    return browser, fields


def pay_by_card(browser, odoo_url, fields, email, token_id=None):
    """What Stripe's checkout does once the card is typed: its token goes to
    Odoo, which charges it at Stripe."""
    token = recorded("token_card")
    token["email"] = email
    if token_id:
        token["id"] = token_id
    return jsonrpc(browser, odoo_url + "/payment/stripe/create_charge", {
        "token": token, "tx_ref": fields["invoice_num"], "return_url": fields["return_url"]})


def test_page_shows_the_designer_the_invoice_and_how_to_pay(claire, new_client, odoo_url):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    number = read_invoice(claire, invoice)["number"]
    url = page_url(claire, odoo_url, invoice)
    assert len(token_of(url)) >= 43, "the token carries 256 random bits"

    page = requests.get(url, timeout=120)
    assert page.status_code == 200
    service = claire.execute("webo.sale.service", "webo_my_service")
    (bank,) = claire.execute("webo.sale.service", "read", [service], ["bank_account_id"])
    (account,) = claire.execute("res.partner.bank", "read", [bank["bank_account_id"][0]], ["acc_number"])
    text = page.text
    for expected in ("Facture", number, "Reste à payer", "500,00", "Atelier Claire Martin", "SIRET",
                     "Virement bancaire", account["acc_number"], "Télécharger le PDF",
                     "/my/invoices/pdf/%d?access_token=%s" % (invoice, token_of(url))):
        assert expected in text, expected
    # No card payment until the platform switches it on for the workspace.
    assert "o_payment_form" not in text


def test_wrong_missing_or_foreign_tokens_find_nothing(claire, new_client, odoo_url):
    client, _address = new_client()
    first, second = send_invoice(claire, client), send_invoice(claire, client)
    number = read_invoice(claire, first)["number"]
    good, foreign = token_of(page_url(claire, odoo_url, first)), token_of(page_url(claire, odoo_url, second))
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    for query in ("?access_token=" + foreign, "?access_token=" + tampered,
                  "?access_token=" + str(uuid.uuid4()), "", "?access_token="):
        for path in ("/my/invoices/%d" % first, "/my/invoices/pdf/%d" % first):
            refused = requests.get(odoo_url + path + query, allow_redirects=False, timeout=120)
            assert refused.status_code == 404, (path, query, refused.status_code)
            assert number not in refused.text and "500,00" not in refused.text
            assert not refused.content.startswith(b"%PDF")
    # An unknown invoice, with a real token of another invoice.
    missing = requests.get("%s/my/invoices/%d?access_token=%s" % (odoo_url, 10 ** 8, good), timeout=120)
    assert missing.status_code == 404


@pytest.mark.parametrize("token", ["jéton-ü-\u2603", "%00", "x" * 5000, "' OR 1=1 --", "[]"],
                         ids=["non-ascii", "nul", "long", "quote", "brackets"])
def test_odd_tokens_get_the_404_of_a_wrong_one(claire, new_client, odoo_url, token):
    """The same answer for an issued invoice and an unknown id, on the page
    and its PDF: no error, nothing that tells which ids are invoices."""
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    number = read_invoice(claire, invoice)["number"]
    answers = []
    for invoice_id in (invoice, 10 ** 8):
        for path in ("/my/invoices/%d", "/my/invoices/pdf/%d"):
            reply = requests.get(odoo_url + path % invoice_id, params={"access_token": token},
                                 allow_redirects=False, timeout=120)
            assert reply.status_code == 404, (path, invoice_id, reply.status_code)
            assert number not in reply.text and "Traceback" not in reply.text
            # The page's CSRF token is new at each request, whatever the id.
            answers.append(re.sub(rb'csrf_token: "[0-9a-fo]+"', b"csrf_token", reply.content))
    assert answers[0] == answers[2] and answers[1] == answers[3]


def test_no_transaction_without_the_token_or_with_another_workspace_method(
        claire, admin, claire_card, new_client, odoo_url):
    client, _address = new_client()
    first, second = send_invoice(claire, client), send_invoice(claire, client)
    foreign = token_of(page_url(claire, odoo_url, second))
    browser = requests.Session()
    for token in (foreign, "", None, str(uuid.uuid4()), "jéton-ü"):
        result, error = jsonrpc(browser, "%s/invoice/pay/%d/form_tx" % (odoo_url, first),
                                {"acquirer_id": claire_card, "access_token": token})
        assert result is False and error is None, (token, result, error)
    platform_transfer = admin.execute("ir.model.data", "xmlid_to_res_id", "payment.payment_acquirer_transfer")
    result, _error = jsonrpc(browser, "%s/invoice/pay/%d/form_tx" % (odoo_url, first), {
        "acquirer_id": platform_transfer, "access_token": token_of(page_url(claire, odoo_url, first))})
    assert result is False
    assert transactions(admin, first) == []


def test_card_payment_end_to_end_pays_once(claire, admin, claire_card, new_client, outbox, odoo_url,
                                           fake_stripe):
    client, address = new_client()
    invoice = send_invoice(claire, client)
    number = read_invoice(claire, invoice)["number"]
    url = page_url(claire, odoo_url, invoice)
    outbox.collect()

    page = requests.get(url, timeout=120)
    assert 'data-provider="stripe"' in page.text and "Payer maintenant" in page.text
    browser, fields = start_card_payment(odoo_url, invoice, url, claire_card)
    assert float(fields["amount"]) == INVOICE_AMOUNT
    assert fields["return_url"] == urlsplit(url).path + "?" + urlsplit(url).query

    result, error = pay_by_card(browser, odoo_url, fields, address)
    assert error is None and result == fields["return_url"], error
    (charge,) = fake_stripe.charges(fields["invoice_num"])
    assert charge["params"]["amount"] == "50000" and charge["params"]["currency"] == "EUR"
    assert charge["secret"] == "sk_test_webo" and charge["version"] == "2016-03-07"
    assert charge["params"]["card"] == recorded("token_card")["id"]

    record = read_invoice(claire, invoice)
    assert (record["state"], record["webo_state"], record["residual"]) == ("paid", "paid", 0.0)
    (payment,) = payments(admin, invoice)
    assert payment["amount"] == INVOICE_AMOUNT
    assert payment["journal_id"][1].startswith("Compte de paiement webo")
    assert payment["payment_transaction_id"]

    received = outbox.collect()
    (receipt,) = mail_to(received, address)
    assert "Reçu de paiement" in receipt.subject and number in receipt.subject
    assert "500,00" in receipt.body("html") and "entièrement payée" in receipt.body("html")
    (claire_user,) = claire.execute("res.users", "read", [claire.uid], ["email"])
    alerts = [mail for mail in mail_to(received, claire_user["email"]) if "Paiement reçu" in mail.subject]
    assert len(alerts) == 1, [mail.subject for mail in received]
    assert number in alerts[0].body("html")

    # The same notification again (a double click, a replay): nothing more.
    result, error = pay_by_card(browser, odoo_url, fields, address)
    assert error is None and result == fields["return_url"]
    assert len(fake_stripe.charges(fields["invoice_num"])) == 1
    assert len(payments(admin, invoice)) == 1

    paid_page = requests.get(url, timeout=120).text
    assert "Cette facture est payée" in paid_page and "o_payment_form" not in paid_page
    result, _error = jsonrpc(requests.Session(), "%s/invoice/pay/%d/form_tx" % (odoo_url, invoice),
                             {"acquirer_id": claire_card, "access_token": token_of(url)})
    assert result is False


def test_simultaneous_card_notifications_charge_once(claire, admin, claire_card, new_client, odoo_url,
                                                    fake_stripe):
    """The card form submitted twice at the same moment (two tabs, a double
    click on a slow network): Stripe is asked once, with an idempotency key,
    and the invoice is paid once."""
    client, address = new_client()
    invoice = send_invoice(claire, client)
    url = page_url(claire, odoo_url, invoice)
    _browser, fields = start_card_payment(odoo_url, invoice, url, claire_card)
    barrier = threading.Barrier(2)
    answers = []

    def notify():
        barrier.wait()
        answers.append(pay_by_card(requests.Session(), odoo_url, fields, address))

    fake_stripe.delay = 1.0
    try:
        notifications = [threading.Thread(target=notify) for _ in range(2)]
        for notification in notifications:
            notification.start()
        for notification in notifications:
            notification.join(300)
    finally:
        fake_stripe.delay = 0.0
    assert answers == [(fields["return_url"], None)] * 2, answers
    (charge,) = fake_stripe.charges(fields["invoice_num"])
    (transaction,) = transactions(admin, invoice)
    assert charge["idempotency_key"] and charge["idempotency_key"].endswith(
        "-%d-%s" % (transaction["id"], recorded("token_card")["id"])), charge["idempotency_key"]
    assert transaction["state"] == "done"
    assert len(payments(admin, invoice)) == 1
    assert read_invoice(claire, invoice)["state"] == "paid"


def test_declined_card_leaves_the_invoice_due(claire, admin, claire_card, new_client, odoo_url, fake_stripe):
    client, address = new_client()
    invoice = send_invoice(claire, client)
    url = page_url(claire, odoo_url, invoice)
    browser, fields = start_card_payment(odoo_url, invoice, url, claire_card)
    result, error = pay_by_card(browser, odoo_url, fields, address, token_id=DECLINED_TOKEN)
    assert result is None and "Your card was declined." in error["data"]["message"], error
    assert len(fake_stripe.charges(fields["invoice_num"])) == 1
    record = read_invoice(claire, invoice)
    assert (record["state"], record["residual"]) == ("open", INVOICE_AMOUNT)
    assert payments(admin, invoice) == []


def test_partly_paid_then_credited_invoices(claire, new_client, odoo_url):
    client, _address = new_client()
    partly, credited = send_invoice(claire, client), send_invoice(claire, client)
    claire.execute("account.invoice", "webo_register_payment", [partly], 200.0)
    text = requests.get(page_url(claire, odoo_url, partly), timeout=120).text
    assert "Partiellement payée" in text and "300,00" in text and "o_webo_payment_methods" in text

    credit_note = claire.execute("account.invoice", "webo_cancel_with_credit_note", [credited])
    (note,) = claire.execute("account.invoice", "read", [credit_note], ["number"])
    text = requests.get(page_url(claire, odoo_url, credited), timeout=120).text
    assert "annulée par l'avoir" in text and note["number"] in text
    assert "o_webo_payment_methods" not in text and "o_payment_form" not in text


def test_client_portal_login_lists_their_invoices_and_subscriptions(claire, admin, new_client, odoo_url,
                                                                    database):
    client, address = new_client()
    other, _other_address = new_client()
    tag = uuid.uuid4().hex[:6]
    invoice = send_invoice(claire, client)
    monthly = send_invoice(claire, client, name="Maintenance %s" % tag, recurrence="monthly")
    foreign = send_invoice(claire, other)
    numbers = {i: read_invoice(claire, i)["number"] for i in (invoice, monthly, foreign)}

    (billing,) = claire.execute("res.partner", "search", [("email", "=", address)])
    user = claire.execute("res.partner", "webo_grant_portal_access", [billing])
    admin.execute("res.users", "write", [user], {"password": "portal-" + tag})
    portal = requests.Session()
    _result, error = jsonrpc(portal, odoo_url + "/web/session/authenticate",
                             {"db": database, "login": address, "password": "portal-" + tag})
    assert error is None, error

    invoices = portal.get(odoo_url + "/my/invoices", timeout=120)
    assert invoices.status_code == 200
    assert numbers[invoice] in invoices.text and numbers[monthly] in invoices.text
    assert numbers[foreign] not in invoices.text
    subscriptions = portal.get(odoo_url + "/my/subscriptions", timeout=120).text
    assert "Maintenance %s" % tag in subscriptions and "En cours" in subscriptions
    home = portal.get(odoo_url + "/my/home", timeout=120).text
    assert "/my/subscriptions" in home

    # Logged in, their own invoice opens without a token; another's does not.
    assert portal.get("%s/my/invoices/%d" % (odoo_url, invoice), timeout=120).status_code == 200
    refused = portal.get("%s/my/invoices/%d" % (odoo_url, foreign), timeout=120)
    assert refused.status_code == 404 and numbers[foreign] not in refused.text
    admin.execute("res.users", "write", [user], {"active": False})


def test_portal_access_is_refused_for_another_workspace_client(claire, julien, new_client):
    client, _address = new_client()
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("res.partner", "webo_grant_portal_access", [client])
    assert_fault(refused, "Contact", code=ACCESS_ERROR)


def test_register_payment_refusals_over_xmlrpc(claire, julien, admin, new_client):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    for amount, fragment in ((500.01, "plus que les 500,00"), (-10.0, "nombre positif")):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            claire.execute("account.invoice", "webo_register_payment", [invoice], amount)
        assert fragment in refused.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("account.invoice", "webo_register_payment", [invoice], 10.0)
    assert_fault(refused, "Invoice", code=ACCESS_ERROR)
    assert payments(admin, invoice) == []
    assert read_invoice(claire, invoice)["residual"] == INVOICE_AMOUNT

