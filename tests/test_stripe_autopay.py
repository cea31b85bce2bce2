"""A subscription paid automatically, from outside: the client accepts the
authorisation on an invoice's page and registers a card or a bank account
on Stripe's (loopback) page in setup mode; Stripe's signed event makes the
subscription automatic; the monthly run charges each new invoice
off-session once, paid by the webhook only; a failure leaves the invoice
due and tells the designer and the client; the client revokes from the
page. Refusals write nothing and charge nothing. The real ``stripe``
library, called by the real server, against stripe_api.py."""
import re
import xmlrpc.client
from datetime import date

import pytest
import requests
import test_stripe_payments
from conftest import portal_session
from dateutil.relativedelta import relativedelta
from test_invoicing_api import local_url, mail_to, read_invoice, send_invoice
from test_stripe_payments import billed_client, delivered, payments, post_event, service_of

# The platform's keys and the loopback API, for each test (a fixture).
stripe_platform = test_stripe_payments.stripe_platform


@pytest.fixture()
def subscribed(admin, new_designer, stripe_platform):
    """A workspace with its connected account, a client with a billing
    contact, and a subscription whose first invoice the monthly run has
    issued and sent (its second period is due today)."""
    designer, company = new_designer("Atelier Abonnement")
    client, address, tag = billed_client(admin, designer, company, "Client Abonné")
    start = date.today() - relativedelta(months=1)
    subscription = designer.execute("webo.subscription", "webo_create", {
        "name": "Maintenance %s" % tag, "partner_id": client, "date_start": start.isoformat(),
        "line_ids": [(0, 0, {"name": "Maintenance", "quantity": 1, "price_unit": 90.0})]})
    admin.execute("webo.subscription", "webo_run", date=start.isoformat())
    (first,) = designer.execute("account.invoice", "search", [("webo_subscription_id", "=", subscription)])
    (record,) = designer.execute("account.invoice", "read", [first], ["webo_payment_url"])
    account = service_of(designer)["stripe_account_id"]
    return designer, client, subscription, first, record["webo_payment_url"], account, address


def autopay_form(browser, page_url, css="o_webo_autopay_start"):
    page = browser.get(page_url, timeout=120)
    assert page.status_code == 200
    form = re.search(r'<form[^>]*class="%s".*?</form>' % css, page.text, re.S)
    return page.text, form and form.group(0)


def choose_autopay(odoo_url, page_url, accept="1"):
    """The client ticks the box and clicks "Payer automatiquement les
    prochaines factures": the answer, not followed."""
    browser = requests.Session()
    _text, form = autopay_form(browser, page_url)
    assert form, "no automatic payment on the page"
    action = re.search(r'action="([^"]+)"', form).group(1)
    fields = dict(re.findall(r'name="(access_token)" value="([^"]*)"', form))
    if accept:
        fields["accept"] = accept
    return browser.post(odoo_url + action, data=fields, allow_redirects=False, timeout=120)


def set_up(admin, api, odoo_url, page_url, account, method="card"):
    """The whole choice: the page, Stripe's page in setup mode, the event."""
    answer = choose_autopay(odoo_url, page_url)
    assert answer.status_code == 303, answer.text
    session = [s for s in api.sessions_of(account) if s["mode"] == "setup"][-1]
    assert answer.headers["Location"] == session["url"]
    delivered(admin, odoo_url, api.complete_setup(session["id"], method=method))
    return session


def subscription_of(session, subscription):
    (record,) = session.execute("webo.subscription", "read", [subscription],
                                ["webo_autopay", "webo_autopay_method"])
    return record


def detached(api, account):
    """The payment methods of ``account`` detached at Stripe."""
    return [request for request in api.requests
            if request["account"] == account and request["path"].endswith("/detach")]


def run_today(admin):
    return admin.execute("webo.subscription", "webo_run", date=date.today().isoformat())


def new_invoices(designer, subscription, first):
    return designer.execute("account.invoice", "search", [("webo_subscription_id", "=", subscription),
                                                          ("id", "!=", first)])


def test_the_run_charges_each_new_invoice_once_paid_by_the_webhook(subscribed, admin, stripe_platform,
                                                                   odoo_url):
    designer, _client, subscription, first, url, account, _address = subscribed
    page = local_url(odoo_url, url)
    text, form = autopay_form(requests.Session(), page)
    assert "Payer automatiquement les prochaines factures" in text and "8 semaines" in form
    session = set_up(admin, stripe_platform, odoo_url, page, account)
    assert session["customer"] and session["payment_method_types"] == ["card", "sepa_debit"]
    assert subscription_of(designer, subscription) == {
        "id": subscription, "webo_autopay": True, "webo_autopay_method": "Card •••• 4242"}
    (mandate,) = admin.execute("webo.stripe.mandate", "search_read", [("subscription_id", "=", subscription)],
                               fields=["state", "text", "ip_address", "accepted_date", "invoice_id"])
    assert mandate["state"] == "active" and mandate["ip_address"] == "127.0.0.1"
    assert mandate["text"].startswith("En confirmant, vous autorisez") and mandate["invoice_id"][0] == first
    assert "Carte bancaire •••• 4242" in requests.get(page, timeout=120).text
    log = designer.execute("mail.message", "search_read", [
        ("model", "=", "webo.subscription"), ("res_id", "=", subscription)], fields=["body"])
    assert any("Paiement automatique choisi par le client (Carte bancaire •••• 4242)" in m["body"]
               for m in log), log

    run_today(admin)
    (invoice,) = new_invoices(designer, subscription, first)
    (intent,) = stripe_platform.payment_intents_of(account)
    due = read_invoice(designer, invoice)["residual"]
    assert intent["amount"] == round(due * 100) and intent["off_session"] and intent["customer"]
    assert stripe_platform.requests[-1]["idempotency_key"] == "webo-autopay-invoice-%d" % invoice
    # Paid by Stripe's event only; a second run charges nothing more.
    assert read_invoice(designer, invoice)["state"] == "open"
    run_today(admin)
    assert len(stripe_platform.payment_intents_of(account)) == 1
    delivered(admin, odoo_url, stripe_platform.intent_event_of(intent["id"]))
    assert read_invoice(designer, invoice)["state"] == "paid" and len(payments(admin, invoice)) == 1
    assert read_invoice(designer, first)["state"] == "open", "the invoice before the choice is not charged"


def failure_told(designer, invoice, received, address):
    """The designers' alert on the invoice, and the client's email with its page's link."""
    notes = designer.execute("mail.message", "search_read", [
        ("model", "=", "account.invoice"), ("res_id", "=", invoice)], fields=["subject", "body"])
    assert any((note["subject"] or "").startswith("Échec du paiement :") for note in notes), notes
    (link,) = designer.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    failure = [mail for mail in mail_to(received, address) if "Échec du paiement automatique" in mail.subject]
    assert len(failure) == 1 and link["webo_payment_url"] in failure[0].body("html")


def test_a_declined_card_leaves_the_invoice_due_and_tells_designer_and_client(
        subscribed, admin, stripe_platform, odoo_url, outbox):
    designer, _client, subscription, first, url, account, address = subscribed
    set_up(admin, stripe_platform, odoo_url, local_url(odoo_url, url), account)
    (mandate,) = admin.execute("webo.stripe.mandate", "search_read", [("subscription_id", "=", subscription)],
                               fields=["payment_method_id"])
    # The bank wants the client's 3-D Secure: off-session, the payment fails.
    stripe_platform.decline_next(mandate["payment_method_id"], code="authentication_required")
    outbox.collect()
    run_today(admin)
    (invoice,) = new_invoices(designer, subscription, first)
    assert read_invoice(designer, invoice)["state"] == "open" and not payments(admin, invoice)
    failure_told(designer, invoice, outbox.collect(), address)
    # Stripe's own failure event afterwards: nothing more; no second charge.
    (intent,) = stripe_platform.payment_intents_of(account)
    delivered(admin, odoo_url, stripe_platform.intent_event_of(intent["id"], "payment_intent.payment_failed"))
    assert read_invoice(designer, invoice)["state"] == "open"
    assert not mail_to(outbox.collect(), address)
    run_today(admin)
    assert len(stripe_platform.payment_intents_of(account)) == 1


def test_a_sepa_debit_is_under_way_then_fails_from_the_webhook(subscribed, admin, stripe_platform, odoo_url,
                                                                 outbox):
    designer, _client, subscription, first, url, account, address = subscribed
    set_up(admin, stripe_platform, odoo_url, local_url(odoo_url, url), account, method="sepa_debit")
    assert subscription_of(designer, subscription)["webo_autopay_method"] == "SEPA Direct Debit •••• 3000"
    (mandate,) = admin.execute("webo.stripe.mandate", "search_read", [("subscription_id", "=", subscription)],
                               fields=["stripe_mandate_id"])
    session = [s for s in stripe_platform.sessions_of(account) if s["mode"] == "setup"][-1]
    assert mandate["stripe_mandate_id"] and session["currency"] == "eur"
    run_today(admin)
    (invoice,) = new_invoices(designer, subscription, first)
    (intent,) = stripe_platform.payment_intents_of(account)
    assert intent["status"] == "processing" and intent["mandate"] == mandate["stripe_mandate_id"]
    (record,) = designer.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    assert "en cours de traitement" in requests.get(local_url(odoo_url, record["webo_payment_url"]),
                                                    timeout=120).text
    outbox.collect()
    delivered(admin, odoo_url, stripe_platform.intent_settled(intent["id"], succeeded=False))
    assert read_invoice(designer, invoice)["state"] == "open" and not payments(admin, invoice)
    failure_told(designer, invoice, outbox.collect(), address)


def test_the_client_revokes_from_the_page_and_nothing_is_charged(subscribed, admin, stripe_platform,
                                                                  odoo_url):
    designer, _client, subscription, first, url, account, _address = subscribed
    page = local_url(odoo_url, url)
    set_up(admin, stripe_platform, odoo_url, page, account)
    browser = requests.Session()
    _text, form = autopay_form(browser, page, css="o_webo_autopay_revoke")
    action = re.search(r'action="([^"]+)"', form).group(1)
    token = re.search(r'name="access_token" value="([^"]*)"', form).group(1)
    answer = browser.post(odoo_url + action, data={"access_token": token}, allow_redirects=False, timeout=120)
    assert answer.status_code == 303
    assert subscription_of(designer, subscription)["webo_autopay"] is False
    assert len(detached(stripe_platform, account)) == 1
    run_today(admin)
    assert new_invoices(designer, subscription, first)
    assert not stripe_platform.payment_intents_of(account)


def test_refusals_write_nothing_and_charge_nothing(subscribed, admin, stripe_platform, odoo_url, new_designer,
                                                   rpc):
    designer, client, subscription, first, url, account, _address = subscribed
    page = local_url(odoo_url, url)
    start = "%s/my/invoices/%d/autopay" % (odoo_url, first)
    # Another invoice of the workspace (not a subscription's) and its token.
    single = send_invoice(designer, client)
    (other,) = designer.execute("account.invoice", "read", [single], ["webo_payment_url"])
    other_token = re.search(r"access_token=([\w-]+)", other["webo_payment_url"]).group(1)

    def mandates():
        return admin.execute("webo.stripe.mandate", "search_count", [("subscription_id", "=", subscription)])

    for token_given in ("", "wrong-token", "é", other_token):
        answer = requests.post(start, data={"access_token": token_given, "accept": "1"},
                               allow_redirects=False, timeout=120)
        assert answer.status_code == 404
    answer = requests.post("%s/my/invoices/%d/autopay" % (odoo_url, single), allow_redirects=False,
                           data={"access_token": other_token, "accept": "1"}, timeout=120)
    assert answer.status_code == 409 and "abonnement en cours" in answer.text
    other_page = requests.get(local_url(odoo_url, other["webo_payment_url"]), timeout=120)
    assert "o_webo_autopay" not in other_page.text
    unaccepted = choose_autopay(odoo_url, page, accept=None)
    assert unaccepted.status_code == 409 and "Cochez la case" in unaccepted.text
    assert mandates() == 0 and not stripe_platform.sessions_of(account)
    # Stripe refuses the setup: refused in French, nothing kept.
    stripe_platform.refuse_next("/v1/checkout/sessions", "Invalid currency: xyz.", param="currency")
    refused = choose_autopay(odoo_url, page)
    assert refused.status_code == 409 and "indisponible" in refused.text
    assert mandates() == 0

    set_up(admin, stripe_platform, odoo_url, page, account)
    # Revoking with another invoice's token, or none: not found, still automatic.
    for token_given in ("", other_token):
        answer = requests.post(start + "/revoke", data={"access_token": token_given},
                               allow_redirects=False, timeout=120)
        assert answer.status_code == 404
    assert subscription_of(designer, subscription)["webo_autopay"] is True

    # A setup event naming this mandate on another workspace's account.
    session = [s for s in stripe_platform.sessions_of(account) if s["mode"] == "setup"][-1]
    other_designer, _company = new_designer("Atelier Tiers")
    foreign = dict(stripe_platform.setup_intent_event(session["id"]),
                   account=service_of(other_designer)["stripe_account_id"])
    assert post_event(odoo_url, foreign).status_code == 400
    assert not admin.execute("webo.stripe.event", "search_count", [("event_id", "=", foreign["id"])])

    # Over XML-RPC: another designer, the client's portal login, the designer writing the flag.
    with pytest.raises(xmlrpc.client.Fault):
        other_designer.execute("webo.subscription", "webo_autopay_revoke", [subscription])
    with pytest.raises(xmlrpc.client.Fault):
        designer.execute("webo.subscription", "write", [subscription], {"webo_autopay": False})
    with pytest.raises(xmlrpc.client.Fault):
        designer.execute("webo.stripe.mandate", "search_read", [])
    _user, portal = portal_session(designer, admin, rpc, client)
    assert subscription_of(portal, subscription)["webo_autopay"] is True
    for method, args in (("webo_autopay_revoke", []), ("write", [{"webo_autopay": False}])):
        with pytest.raises(xmlrpc.client.Fault):
            portal.execute("webo.subscription", method, [subscription], *args)
    assert subscription_of(designer, subscription)["webo_autopay"] is True
    assert not detached(stripe_platform, account)

    # The designer revokes: nothing charged at the next run.
    assert designer.execute("webo.subscription", "webo_autopay_revoke", [subscription]) is True
    assert subscription_of(designer, subscription)["webo_autopay"] is False
    run_today(admin)
    assert not stripe_platform.payment_intents_of(account)
