"""Odoo's own paths around the documented ones, as an attacker takes them:
the queued emails, the payment methods and their Stripe key, the followers,
reconciliations and sequences, Odoo's payment routes, redirections and
errors. test_isolation.py walks every model and route; these are the
examples, each on the path where it was seen.
"""
import xmlrpc.client
from urllib.parse import urlsplit

import pytest
import requests
from conftest import portal_session
from test_invoicing_api import ACCESS_ERROR, send_invoice
from test_payment_page import jsonrpc, page_url, token_of, transactions

OFFSITE = "https://other.example/"


def company_of(session):
    (user,) = session.execute("res.users", "read", [session.uid], ["company_id"])
    return user["company_id"][0]


def test_queued_invoice_emails_stay_with_their_author(claire, julien, admin, rpc, new_client, odoo_url):
    client, _address = new_client()
    other, _other_address = new_client()
    invoice = send_invoice(claire, client)
    token = token_of(page_url(claire, odoo_url, invoice))
    queued = [("body_html", "ilike", token)]
    assert claire.execute("mail.mail", "search_count", queued) == 1
    assert admin.execute("mail.mail", "search_count", queued) == 1
    assert julien.execute("mail.mail", "search_read", queued, fields=["body_html"]) == []
    assert token not in str(julien.execute("mail.mail", "search_read", [], fields=["body_html"]))
    user, other_client = portal_session(claire, admin, rpc, other)
    try:
        assert other_client.execute("mail.mail", "search_read", queued, fields=["body_html"]) == []
        assert token not in str(other_client.execute("mail.mail", "search_read", [], fields=["body_html"]))
    finally:
        admin.execute("res.users", "write", [user], {"active": False})


def test_payment_methods_and_the_stripe_secret_key(claire, julien, admin):
    company = company_of(claire)
    mine = [("company_id", "=", company)]
    acquirers = admin.execute("payment.acquirer", "search", mine)
    assert len(acquirers) == 2  # the workspace's transfer and card
    assert julien.execute("payment.acquirer", "search", mine) == []
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("payment.acquirer", "read", acquirers, ["post_msg"])
    assert refused.value.faultCode == ACCESS_ERROR
    assert sorted(claire.execute("payment.acquirer", "search", mine)) == sorted(acquirers)
    (card,) = admin.execute("payment.acquirer", "search", [*mine, ("provider", "=", "stripe")])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("payment.acquirer", "read", [card], ["stripe_secret_key"])
    assert refused.value.faultCode == ACCESS_ERROR
    assert "stripe_secret_key" in admin.execute("payment.acquirer", "read", [card], ["stripe_secret_key"])[0]


def test_taxes_reconciliations_followers_and_sequences(claire, julien, admin, new_client):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    claire.execute("account.invoice", "webo_register_payment", [invoice], 100.0)
    company = company_of(claire)
    followed = [("res_model", "=", "account.invoice"), ("res_id", "=", invoice)]
    for model, domain, group in (
            ("account.partial.reconcile", [("company_id", "=", company)], "company_id"),
            ("ir.sequence", [("company_id", "=", company)], "company_id"),
            ("mail.followers", followed, "partner_id"),
            ("account.invoice.tax", [("company_id", "=", company)], "company_id")):
        if model != "account.invoice.tax":  # claire's workspace is under the VAT franchise
            assert admin.execute(model, "search_count", domain), model
        assert julien.execute(model, "search_count", domain) == 0, model
        assert julien.execute(model, "read_group", domain, [group], [group]) == [], model


def test_another_workspace_client_is_never_named(claire, julien, admin):
    """Odoo 11 reads a many2one's name as superuser: nothing may point at
    another workspace's client, and refusals name it by its id only."""
    (client,) = claire.execute("res.partner", "search", [("name", "=", "Boulangerie Dupont")])
    wizards = julien.execute("webo.invoice.wizard", "search_count", [])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        send_invoice(julien, client)
    # (The API's check of the wizard's ids refuses it first, by its id.)
    assert "%d n'est pas utilisable ici" % client in refused.value.faultString
    assert "Boulangerie" not in refused.value.faultString
    assert julien.execute("webo.invoice.wizard", "search_count", []) == wizards
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("res.partner", "create", {"name": "Contact pirate", "parent_id": client})
    assert "%d n'est pas utilisable ici" % client in refused.value.faultString
    assert "Boulangerie" not in refused.value.faultString
    assert admin.execute("res.partner", "search", [("name", "=", "Contact pirate")],
                         context={"active_test": False}) == []


def test_odoo_payment_routes_make_no_transaction_on_a_workspace(claire, julien, admin, new_client, odoo_url,
                                                                 database):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    url = page_url(claire, odoo_url, invoice)
    company = company_of(claire)
    (transfer,) = admin.execute("payment.acquirer", "search", [
        ("company_id", "=", company), ("provider", "=", "transfer")])
    (euro,) = admin.execute("res.currency", "search", [("name", "=", "EUR")])
    designer = requests.Session()
    _result, error = jsonrpc(designer, odoo_url + "/web/session/authenticate",
                             {"db": database, "login": "julien", "password": "julien"})
    assert error is None
    for browser in (requests.Session(), designer):
        path = "/website_payment/transaction/REF-%s/9999.99/%d" % (invoice, euro)
        reply = browser.post(odoo_url + path, json={
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {"acquirer_id": transfer}}, timeout=120)
        assert reply.status_code == 404 or "error" in reply.json(), reply.text[:300]
    assert admin.execute("payment.transaction", "search_count", [
        ("reference", "like", "REF-%s" % invoice)]) == 0

    # A transaction of the page, then Odoo's transfer feedback from its reference alone.
    result, _error = jsonrpc(requests.Session(), "%s/invoice/pay/%d/form_tx" % (odoo_url, invoice),
                             {"acquirer_id": transfer, "access_token": token_of(url)})
    assert result
    (transaction,) = transactions(admin, invoice)
    refused = requests.post(odoo_url + "/payment/transfer/feedback", data={
        "reference": transaction["reference"], "amount": transaction["amount"], "currency": "EUR",
        "return_url": OFFSITE}, allow_redirects=False, timeout=120)
    assert refused.status_code == 404
    assert transactions(admin, invoice)[0]["state"] == "draft"

    refused = requests.get("%s/invoice/pay/%d/s2s_token_tx" % (odoo_url, invoice), params={
        "pm_id": 1, "access_token": token_of(url), "error_url": OFFSITE}, allow_redirects=False, timeout=120)
    assert refused.status_code == 404 and "other.example" not in refused.headers.get("Location", "")


@pytest.mark.parametrize("path", ["/web/session/logout", "/web/dbredirect", "/web"])
def test_no_redirection_to_another_site(odoo_url, path):
    reply = requests.get(odoo_url + path, params={"redirect": OFFSITE}, allow_redirects=False, timeout=120)
    location = reply.headers.get("Location", "")
    assert urlsplit(location).netloc in ("", urlsplit(odoo_url).netloc), (reply.status_code, location)


def test_login_goes_back_to_this_site_only(odoo_url, database):
    browser = requests.Session()
    page = browser.get(odoo_url + "/web/login", params={"redirect": OFFSITE}, timeout=120).text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = browser.post(odoo_url + "/web/login", data={
        "login": "julien", "password": "julien", "csrf_token": csrf, "redirect": OFFSITE},
        allow_redirects=False, timeout=120)
    assert "other.example" not in signed_in.text
    assert "other.example" not in signed_in.headers.get("Location", "")
    assert "/web" in signed_in.text or "/web" in signed_in.headers.get("Location", "")


@pytest.mark.parametrize("path, params", [
    ("/web/dataset/call_kw", {"model": "account.invoice", "method": "read", "args": [[1]], "kwargs": {}}),
    ("/jsonrpc", {"service": "object", "method": "execute", "args": ["x"]}),
    ("/payment/stripe/create_charge", {"tx_ref": "nothing"}),
    ("/web/session/get_session_info", {}),
])
def test_json_rpc_errors_carry_no_traceback_to_an_anonymous_caller(odoo_url, path, params):
    _result, error = jsonrpc(requests.Session(), odoo_url + path, params)
    assert error, "the call was expected to fail"
    assert "Traceback" not in str(error) and "File \"" not in str(error), error
    assert error["data"]["debug"] == ""


@pytest.mark.parametrize("service, method, args", [
    ("common", "authenticate", ["no-such-database"]),
    ("common", "version", [1, 2, 3]),
    ("db", "server_version", ["extra"]),
    ("db", "exp_nothing", []),
])
@pytest.mark.parametrize("prefix", ["/xmlrpc/2/", "/xmlrpc/"])
def test_xmlrpc_errors_carry_no_traceback_to_a_caller_without_password(odoo_url, prefix, service, method,
                                                                        args):
    proxy = xmlrpc.client.ServerProxy(odoo_url + prefix + service)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        getattr(proxy, method)(*args)
    text = "%s %s" % (refused.value.faultCode, refused.value.faultString)
    assert "Traceback" not in text and 'File "' not in text and ".py" not in text, text


def test_xmlrpc_errors_of_a_signed_in_caller_keep_their_message(claire):
    """The object service (a password given) answers as before: a refusal
    with its French message."""
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("res.partner", "create", {"name": "SIRET faux", "is_company": True,
                                                  "customer": True, "siret": "123"})
    assert "SIRET" in refused.value.faultString
    assert claire.execute("res.partner", "search", [("name", "=", "SIRET faux")]) == []


def test_an_avatar_the_designer_may_not_read_is_the_placeholder(claire, julien, admin, odoo_url, database):
    designer = requests.Session()
    _result, error = jsonrpc(designer, odoo_url + "/web/session/authenticate",
                             {"db": database, "login": "claire", "password": "claire"})
    assert error is None
    (operator,) = admin.execute("res.users", "read", [admin.uid], ["partner_id"])
    (other,) = julien.execute("res.users", "read", [julien.uid], ["partner_id"])
    (own,) = claire.execute("res.users", "read", [claire.uid], ["partner_id"])
    placeholder = requests.get(odoo_url + "/web/static/src/img/placeholder.png", timeout=120).content
    for partner in (operator["partner_id"][0], other["partner_id"][0]):
        reply = designer.get("%s/web/image/res.partner/%d/image_small" % (odoo_url, partner), timeout=120)
        assert (reply.status_code, reply.headers["Content-Type"]) == (200, "image/png")
        assert reply.content == placeholder, "nothing of the partner"
        refused = designer.get("%s/web/content/res.partner/%d/image_small" % (odoo_url, partner), timeout=120)
        assert refused.status_code in (403, 404), "the file itself stays refused"
    reply = designer.get("%s/web/image/res.partner/%d/image_small" % (odoo_url, own["partner_id"][0]),
                         timeout=120)
    assert reply.status_code == 200
