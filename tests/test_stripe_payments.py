"""Card and SEPA debit through Stripe Connect, from outside: the platform's
keys (the operator's only), the connected account made at the opening,
the payment page's button up to Stripe's hosted page, and the signed
webhook that alone pays the invoice. Stripe's API is the loopback server
of stripe_api.py, called by the real ``stripe`` library from the real
server; events are signed as Stripe signs them."""
import re
import time
import uuid
import xmlrpc.client

import pytest
import requests
from conftest import french_identifiers, opening_of, run_cron
from playwright.sync_api import expect, sync_playwright
from stripe_api import PUBLISHABLE_KEY, SECRET_KEY, WEBHOOK_SECRET, StripeApi
from test_browser import CHROMIUM, CHROMIUM_ARGS
from test_hardening import NEW_IBAN
from test_invoicing_api import assert_fault, local_url, mail_to, read_invoice, send_invoice
from test_opening_api import company_name, opening_values, png

PARAMETERS = ("webo_sale.stripe_secret_key", "webo_sale.stripe_publishable_key",
              "webo_sale.stripe_webhook_secret", "webo_sale.stripe_api_base")


def set_parameters(admin, values):
    for key in PARAMETERS:
        admin.execute("ir.config_parameter", "set_param", key, values.get(key) or "")


@pytest.fixture()
def stripe_platform(admin, stripe_api):
    """The platform's Stripe account, for the test: its keys and the
    loopback API; unset afterwards (the other tests run without it)."""
    set_parameters(admin, dict(zip(PARAMETERS, (SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET,
                                                stripe_api.base), strict=True)))
    try:
        yield stripe_api
    finally:
        set_parameters(admin, {})


def service_of(session):
    (service,) = session.execute("webo.sale.service", "search_read", [],
                                 fields=["state", "stripe_account_id", "payment_journal_id"])
    return service


def billed_client(admin, designer, company, name):
    """The workspace's own email address (it signs alerts and receipts) and
    a new client ``name`` with a billing contact: (client, its address, tag)."""
    tag = uuid.uuid4().hex[:8]
    admin.execute("res.company", "write", [company], {"email": "atelier-%s@example.org" % tag})
    address = "compta-%s@example.org" % tag
    client = designer.execute("res.partner", "create", {
        "name": "%s %s" % (name, tag), "is_company": True, "customer": True,
        "child_ids": [(0, 0, {"type": "invoice", "name": "Compta", "email": address})]})
    return client, address, tag


@pytest.fixture()
def shop(admin, new_designer, stripe_platform):
    """A workspace opened with the platform's keys set: its connected
    account, a client and a sent invoice of 500.00 (the page's URL)."""
    designer, company = new_designer("Atelier Stripe")
    client, address, _tag = billed_client(admin, designer, company, "Client Stripe")
    invoice = send_invoice(designer, client)
    (record,) = designer.execute("account.invoice", "read", [invoice], ["webo_payment_url", "number"])
    return designer, company, invoice, record, address


def start_checkout(odoo_url, page_url):
    """The client clicks "Payer par carte ou prélèvement SEPA": the answer
    (not followed) and the session that went with it."""
    browser = requests.Session()
    page = browser.get(page_url, timeout=120)
    assert page.status_code == 200
    form = re.search(r'<div class="col-md-6 o_webo_stripe">.*?</form>', page.text, re.S)
    assert form, "no card/SEPA button on the page"
    action = re.search(r'action="([^"]+)"', form.group(0)).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
    return browser.post(odoo_url + action, data=fields, allow_redirects=False, timeout=120)


def post_event(odoo_url, event, secret=WEBHOOK_SECRET, timestamp=None):
    payload, signature = StripeApi.signed(event, secret, timestamp)
    return requests.post(odoo_url + "/webo/stripe/webhook", data=payload, timeout=120,
                         headers={"Stripe-Signature": signature, "Content-Type": "application/json"})


def delivered(admin, odoo_url, event):
    """Stripe's delivery of ``event``: answered at once ("received"), the
    event processed by the scheduled job's next run (run here now)."""
    reply = post_event(odoo_url, event)
    assert (reply.status_code, reply.text) == (200, "received")
    run_cron(admin, "webo_sale", "ir_cron_webo_stripe_events")
    return reply


def payments(admin, invoice):
    return admin.execute("account.payment", "search_read", [("invoice_ids", "in", [invoice])],
                         fields=["amount", "state", "journal_id", "webo_stripe_checkout_id"])


def test_keys_are_the_operators_only(claire, admin, stripe_platform):
    (value,) = admin.execute("ir.config_parameter", "search_read",
                             [("key", "=", "webo_sale.stripe_secret_key")], fields=["value"])
    assert value["value"] == SECRET_KEY
    for call in (lambda: claire.execute("ir.config_parameter", "get_param", "webo_sale.stripe_secret_key"),
                 lambda: claire.execute("ir.config_parameter", "search_read",
                                        [("key", "like", "stripe")], fields=["value"])):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            call()
        assert_fault(refused, code=4)  # AccessError


def test_opening_creates_the_connected_account(shop, admin, stripe_platform, odoo_url):
    designer, company, _invoice, _record, _address = shop
    service = service_of(designer)
    assert service["state"] == "open" and service["stripe_account_id"].startswith("acct_")
    (create,) = [r for r in stripe_platform.requests if r["path"] == "/v1/accounts"
                 and r["params"].get("metadata", {}).get("webo_company_id") == str(company)]
    assert create["secret"] == SECRET_KEY and create["account"] is None
    params = create["params"]
    assert (params["type"], params["country"], params["business_type"]) == ("custom", "FR", "company")
    assert params["external_account"]["account_number"] == "FR7630006000011234567890189"
    assert params["company"]["tax_id"]
    assert params["capabilities"]["sepa_debit_payments"] == {"requested": "true"}
    account = stripe_platform.accounts[service["stripe_account_id"]]
    assert account["external_accounts"]["data"][0]["last4"] == "0189"
    (read,) = designer.execute("webo.sale.service", "read", [service["id"]], ["stripe_verification"])
    # Stripe verifies the documents, and asks for the terms' acceptance
    # that an opening over XML-RPC cannot give (no caller's address).
    assert read["stripe_verification"] == "requested"
    event = stripe_platform.account_updated(service["stripe_account_id"],
                                            currently_due=["individual.verification.document"])
    delivered(admin, odoo_url, event)
    (read,) = designer.execute("webo.sale.service", "read", [service["id"]],
                               ["stripe_verification", "stripe_requirements"], context={"lang": "fr_FR"})
    assert read["stripe_verification"] == "requested" and "pièce d'identité" in read["stripe_requirements"]
    delivered(admin, odoo_url, stripe_platform.account_updated(service["stripe_account_id"], verified=True))
    (read,) = designer.execute("webo.sale.service", "read", [service["id"]], ["stripe_verification"])
    assert read["stripe_verification"] == "verified"
    # Nobody changes it by a plain write.
    with pytest.raises(xmlrpc.client.Fault):
        designer.execute("webo.sale.service", "write", [service["id"]], {"stripe_account_id": "acct_X"})


def test_refused_opening_shows_the_providers_refusal_and_writes_nothing(
        new_designer, stripe_platform):
    designer, _company = new_designer("Atelier Refusé", open_service=False)
    stripe_platform.refuse_next("/v1/accounts", "Invalid IBAN provided.", code="invalid_value",
                                param="external_account[account_number]")
    tag = uuid.uuid4().hex[:8]
    values = opening_of("Atelier Refusé %s" % tag, *french_identifiers(tag))
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("webo.sale.opening", "webo_open_service", values)
    assert_fault(refused, "Étape 2 (documents et IBAN)", "IBAN", "Invalid IBAN provided.")
    # Not even the service's record: the whole call was undone.
    assert designer.execute("webo.sale.service", "search", []) == []
    assert designer.execute("webo.sale.document", "search", []) == []
    assert designer.execute("account.journal", "search", [("code", "=", "WEBO")]) == []


def test_without_platform_keys_the_opening_is_as_before(new_designer, stripe_api):
    designer, _company = new_designer("Atelier Virement")
    service = service_of(designer)
    assert service["state"] == "open" and service["stripe_account_id"] is False


def test_card_payment_from_checkout_to_signed_webhook(shop, admin, stripe_platform, odoo_url, outbox):
    designer, _company, invoice, record, address = shop
    page = local_url(odoo_url, record["webo_payment_url"])
    outbox.collect()
    answer = start_checkout(odoo_url, page)
    assert answer.status_code == 303
    (session,) = [s for s in stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])]
    assert answer.headers["Location"] == session["url"]
    due = read_invoice(designer, invoice)["residual"]
    assert session["amount_total"] == round(due * 100) and session["currency"] == "eur"
    assert session["payment_method_types"] == ["card", "sepa_debit"]
    assert session["client_reference_id"] == record["number"]
    assert session["success_url"] == page and session["cancel_url"] == page
    # The browser's return changes nothing: only Stripe's event pays.
    requests.get(page + "&session_id=%s" % session["id"], timeout=120)
    assert read_invoice(designer, invoice)["state"] == "open"

    event = stripe_platform.pay(session["id"], method="card")
    delivered(admin, odoo_url, event)
    assert read_invoice(designer, invoice)["state"] == "paid"
    (payment,) = payments(admin, invoice)
    assert payment["amount"] == due and payment["state"] == "posted" and payment["webo_stripe_checkout_id"]
    received = outbox.collect()
    (receipt,) = mail_to(received, address)
    assert "Reçu de paiement" in receipt.subject and "Carte" in receipt.body("html")

    # Replayed, and the payment intent's own event: processed once.
    assert post_event(odoo_url, event).text == "duplicate"
    delivered(admin, odoo_url, stripe_platform.intent_event(session["id"]))
    assert len(payments(admin, invoice)) == 1
    # A paid invoice: no new checkout.
    answer = start_checkout_refused(odoo_url, page, invoice)
    assert answer.status_code in (404, 409)


def start_checkout_refused(odoo_url, page, invoice):
    """A POST to the checkout of an invoice whose page has no button any more."""
    browser = requests.Session()
    text = browser.get(page, timeout=120).text
    assert "o_webo_stripe_pay" not in text
    token = re.search(r"access_token=([\w-]+)", page).group(1)
    return browser.post("%s/my/invoices/%d/stripe" % (odoo_url, invoice), allow_redirects=False,
                        data={"access_token": token}, timeout=120)


def test_sepa_debit_paid_days_later_or_failed(shop, admin, stripe_platform, odoo_url, new_client):
    designer, _company, invoice, record, _address = shop
    page = local_url(odoo_url, record["webo_payment_url"])
    assert start_checkout(odoo_url, page).status_code == 303
    (session,) = stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])
    delivered(admin, odoo_url, stripe_platform.pay(session["id"], method="sepa_debit"))
    assert read_invoice(designer, invoice)["state"] == "open" and not payments(admin, invoice)
    assert "en cours de traitement" in requests.get(page, timeout=120).text
    failed = stripe_platform.settle(session["id"], succeeded=False)
    delivered(admin, odoo_url, failed)
    assert read_invoice(designer, invoice)["state"] == "open" and not payments(admin, invoice)
    notes = designer.execute("mail.message", "search_read", [
        ("model", "=", "account.invoice"), ("res_id", "=", invoice)], fields=["subject", "body"])
    assert any("Échec du paiement" in (note["subject"] or "") and "insufficient funds" in note["body"]
               for note in notes), notes

    # The client tries again; this time the debit goes through.
    assert start_checkout(odoo_url, page).status_code == 303
    second = next(s for s in stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])
                  if s["id"] != session["id"])
    delivered(admin, odoo_url, stripe_platform.pay(second["id"], method="sepa_debit"))
    delivered(admin, odoo_url, stripe_platform.settle(second["id"]))
    assert read_invoice(designer, invoice)["state"] == "paid" and len(payments(admin, invoice)) == 1


def test_webhook_refusals_write_nothing(shop, admin, stripe_platform, odoo_url, new_designer):
    designer, _company, invoice, record, _address = shop
    page = local_url(odoo_url, record["webo_payment_url"])
    start_checkout(odoo_url, page)
    (session,) = stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])
    event = stripe_platform.pay(session["id"])

    def events_recorded():
        return admin.execute("webo.stripe.event", "search_count", [("event_id", "=", event["id"])])

    assert post_event(odoo_url, event, secret="whsec_another").status_code == 400
    assert post_event(odoo_url, event, timestamp=time.time() - 301).status_code == 400
    unsigned = requests.post(odoo_url + "/webo/stripe/webhook", data=b"{}", timeout=120)
    assert unsigned.status_code == 400
    assert post_event(odoo_url, dict(event, account="acct_UNKNOWN0000")).status_code == 400
    tampered = {**event, "data": {"object": {**event["data"]["object"], "amount_total": 100}}}
    assert post_event(odoo_url, tampered).status_code == 400
    # The same session announced on another workspace's account.
    other, _other_company = new_designer("Atelier Autre")
    foreign = dict(event, account=service_of(other)["stripe_account_id"])
    assert post_event(odoo_url, foreign).status_code == 400
    assert events_recorded() == 0 and not payments(admin, invoice)
    assert read_invoice(designer, invoice)["state"] == "open"
    # The genuine one still pays.
    delivered(admin, odoo_url, event)
    assert events_recorded() == 1 and len(payments(admin, invoice)) == 1


def test_checkout_refusals(shop, claire, new_client, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    page = local_url(odoo_url, record["webo_payment_url"])
    browser = requests.Session()
    url = "%s/my/invoices/%d/stripe" % (odoo_url, invoice)
    for token in ("", "wrong-token", "é"):
        answer = browser.post(url, data={"access_token": token}, allow_redirects=False, timeout=120)
        assert answer.status_code == 404
    assert browser.post("%s/my/invoices/999999999/stripe" % odoo_url, allow_redirects=False,
                        timeout=120).status_code == 404
    assert not stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])
    # A credited invoice: refused, no session made.
    designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    before = len(stripe_platform.sessions)
    answer = start_checkout_refused(odoo_url, page, invoice)
    assert answer.status_code == 409 and "Cette facture n'attend pas de paiement" in answer.text
    assert len(stripe_platform.sessions) == before
    # Claire's workspace has no connected account (opened without keys): no button.
    client, _address = new_client()
    theirs = send_invoice(claire, client)
    (claire_invoice,) = claire.execute("account.invoice", "read", [theirs], ["webo_payment_url"])
    assert "o_webo_stripe_pay" not in requests.get(
        local_url(odoo_url, claire_invoice["webo_payment_url"]), timeout=120).text


def test_the_client_goes_from_the_page_to_stripes_hosted_page_in_chromium(shop, stripe_platform, odoo_url,
                                                                          output_dir):
    """The page's button in a real browser, up to Stripe's (loopback) page:
    the Content-Security-Policy lets the redirect through, and nothing is
    paid by getting there."""
    designer, _company, invoice, record, _address = shop
    page_url = local_url(odoo_url, record["webo_payment_url"])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_context(locale="fr-FR").new_page()
            errors = []
            page.on("console", lambda message: message.type == "error" and errors.append(message.text))
            page.goto(page_url)
            button = page.locator("button.o_webo_stripe_pay")
            expect(button).to_have_text(re.compile("Payer par carte ou prélèvement SEPA"))
            button.click()
            page.wait_for_url(stripe_platform.base + "/checkout/pay/*")
            (session,) = stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])
            expect(page.locator("#session")).to_have_text(session["id"])
            page.screenshot(path=str(output_dir / "stripe-hosted-page.png"))
            assert not errors, errors
        finally:
            chromium.close()
    assert read_invoice(designer, invoice)["state"] == "open"


# The connected account's verification: documents, terms, a new IBAN, -------
# accounts made later by the operator

def uploads_to(api, account_id):
    return [r for r in api.requests if r["path"] == "/v1/files" and r["account"] == account_id]


def stripe_file(api, file_id):
    """``(owner account, file)`` of an uploaded file."""
    owner, file, _content = api.files[file_id]
    return owner, file


def test_opening_sends_the_documents_as_verification_files(shop, stripe_platform):
    designer, _company, _invoice, _record, _address = shop
    service = service_of(designer)
    account_id = service["stripe_account_id"]
    uploads = uploads_to(stripe_platform, account_id)
    assert sorted(r["params"]["purpose"] for r in uploads) == [
        "account_requirement", "additional_verification", "additional_verification",
        "identity_document"]
    assert all(r["secret"] == SECRET_KEY for r in uploads)
    account = stripe_platform.accounts[account_id]
    # A company (SARL): its registration extract on the company, the proof
    # of address and the RIB among its documents, the identity document on
    # its representative.
    names = {}
    for field, file_id in (("registration", account["company"]["verification"]["document"]["front"]),
                           ("address", account["documents"]["proof_of_address"]["files"][0]),
                           ("bank", account["documents"]["bank_account_ownership_verification"]["files"][0])):
        owner, file = stripe_file(stripe_platform, file_id)
        assert owner == account_id
        names[field] = file["filename"]
    assert names == {"registration": "registration.pdf", "address": "address.pdf", "bank": "bank.pdf"}
    (person,) = [p for p in stripe_platform.persons.values() if p["account"] == account_id]
    assert person["relationship"] == {"representative": "true"}
    assert (person["first_name"], person["last_name"]) == ("Camille", "Durand")
    owner, file = stripe_file(stripe_platform, person["verification"]["document"]["front"])
    assert (owner, file["purpose"], file["filename"]) == (account_id, "identity_document", "identity.pdf")
    # Over XML-RPC Odoo does not give the caller's address: no terms
    # acceptance is sent, and Stripe asks for it.
    (create,) = [r for r in stripe_platform.requests if r["path"] == "/v1/accounts"
                 and r["params"].get("metadata", {}).get("webo_company_id") == str(_company)]
    assert "tos_acceptance" not in create["params"]
    (read,) = designer.execute("webo.sale.service", "read", [service["id"]],
                               ["stripe_verification", "stripe_requirements"], context={"lang": "fr_FR"})
    assert read["stripe_verification"] == "requested"
    assert "l'acceptation des conditions du prestataire" in read["stripe_requirements"]


def test_opening_from_the_browser_sends_the_terms_acceptance(new_designer, stripe_platform, odoo_url,
                                                             repo_dir):
    designer, company = new_designer("Atelier Solo", identified=False)
    values = opening_values(repo_dir, company_name=company_name(designer, company), legal_form="micro",
                            vat_regime="franchise", vat=False, share_capital=0, rcs_city=False)
    browser = requests.Session()
    browser.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) webo-test"
    reply = browser.post(odoo_url + "/web/session/authenticate", json={"jsonrpc": "2.0", "params": {
        "db": designer.database, "login": designer.login, "password": designer.password}}, timeout=120)
    assert reply.json()["result"]["uid"] == designer.uid
    before = int(time.time()) - 1
    reply = browser.post(odoo_url + "/web/dataset/call_kw", timeout=300, json={
        "jsonrpc": "2.0", "method": "call", "params": {
            "model": "webo.sale.opening", "method": "webo_open_service", "args": [values], "kwargs": {}}})
    assert "error" not in reply.json(), reply.json()
    service = service_of(designer)
    account_id = service["stripe_account_id"]
    (create,) = [r for r in stripe_platform.requests if r["path"] == "/v1/accounts"
                 and r["params"].get("metadata", {}).get("webo_company_id") == str(company)]
    tos = create["params"]["tos_acceptance"]
    assert tos["ip"] == "127.0.0.1" and tos["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64) webo-test"
    assert before <= int(tos["date"]) <= time.time() + 1
    account = stripe_platform.accounts[account_id]
    assert not account["requirements"]["currently_due"]
    # A sole proprietor: the identity document and the proof of address on
    # the individual, the registration extract and the RIB among the
    # account's documents; no person.
    verification = account["individual"]["verification"]
    assert stripe_file(stripe_platform, verification["document"]["front"])[1]["filename"] == "cni.png"
    assert stripe_file(stripe_platform, verification["additional_document"]["front"])[1]["purpose"] == \
        "identity_document"
    documents = account["documents"]
    assert stripe_file(stripe_platform, documents["proof_of_registration"]["files"][0])[1]["filename"] == \
        "kbis.pdf"
    assert stripe_file(stripe_platform, documents["bank_account_ownership_verification"]["files"][0])[1][
        "purpose"] == "account_requirement"
    assert not [p for p in stripe_platform.persons.values() if p["account"] == account_id]
    (read,) = designer.execute("webo.sale.service", "read", [service["id"]], ["stripe_verification"])
    assert read["stripe_verification"] == "pending"


def test_a_document_stripe_refuses_at_the_opening_writes_nothing(new_designer, stripe_platform):
    designer, _company = new_designer("Atelier Fichier", open_service=False)
    stripe_platform.refuse_next("/v1/files", "The file you uploaded is not a supported type.",
                                param="file")
    tag = uuid.uuid4().hex[:8]
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("webo.sale.opening", "webo_open_service",
                         opening_of("Atelier Fichier %s" % tag, *french_identifiers(tag)))
    assert_fault(refused, "The file you uploaded is not a supported type.")
    assert designer.execute("webo.sale.service", "search", []) == []
    assert designer.execute("webo.sale.document", "search", []) == []
    # Nor is the account Stripe had made kept there.
    (created,) = [r for r in stripe_platform.requests if r["path"] == "/v1/accounts"
                  and r["params"].get("metadata", {}).get("webo_company_id") == str(_company)]
    made = [r for r in stripe_platform.requests[stripe_platform.requests.index(created) + 1:]
            if r["path"].startswith("/v1/accounts/")]
    (deleted,) = [r for r in made if r["method"] == "DELETE"]
    account_id = deleted["path"].rsplit("/", 1)[-1]
    assert account_id.startswith("acct_") and account_id not in stripe_platform.accounts


def change_iban(designer, service, repo_dir, iban):
    """"Mettre à jour mes documents ou mon IBAN": a new IBAN and its RIB."""
    action = designer.execute("webo.sale.service", "action_edit_documents", [service])
    designer.execute("webo.sale.opening", "write", [action["res_id"]], {
        "iban": iban, "bic": "PSSTFRPPNTE", "bank_file": opening_values(repo_dir)["bank_file"],
        "bank_filename": "nouveau-rib.pdf"})
    designer.execute("webo.sale.opening", "action_submit", [action["res_id"]])
    (rib,) = designer.execute("webo.sale.document", "search",
                              [("service_id", "=", service), ("kind", "=", "bank")])
    return rib


def test_a_validated_new_iban_replaces_the_payout_account_at_stripe(shop, admin, stripe_platform,
                                                                    repo_dir):
    designer, _company, _invoice, _record, _address = shop
    service = service_of(designer)
    account_id = service["stripe_account_id"]
    account = stripe_platform.accounts[account_id]
    rib = change_iban(designer, service["id"], repo_dir, NEW_IBAN)
    assert account["external_accounts"]["data"][0]["last4"] == "0189", "not before the validation"

    # Stripe refuses it: the RIB stays to validate, the old IBAN in use.
    stripe_platform.refuse_next("/v1/accounts/%s" % account_id, "The IBAN is invalid for this country.",
                                param="external_account[account_number]")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin.execute("webo.sale.document", "action_validate", [rib], context={"lang": "fr_FR"})
    assert_fault(refused, "Le prestataire de paiement a refusé le nouvel IBAN",
                 "The IBAN is invalid for this country.")
    (state,) = designer.execute("webo.sale.service", "read", [service["id"]], ["iban", "pending_iban"])
    assert "".join(state["iban"].split()) == "FR7630006000011234567890189"
    assert state["pending_iban"] == "".join(NEW_IBAN.split())
    (document,) = admin.execute("webo.sale.document", "read", [rib], ["state"])
    assert document["state"] == "submitted"
    assert account["external_accounts"]["data"][0]["last4"] == "0189"

    # Accepted: Stripe pays out to the new IBAN, the old one is gone.
    admin.execute("webo.sale.document", "action_validate", [rib])
    (update,) = [r for r in stripe_platform.requests if r["path"] == "/v1/accounts/%s" % account_id
                 and "external_account" in r["params"]][-1:]
    assert update["secret"] == SECRET_KEY and update["account"] is None
    assert update["params"]["external_account"]["account_number"] == "".join(NEW_IBAN.split())
    (bank,) = account["external_accounts"]["data"]
    assert (bank["last4"], bank["default_for_currency"]) == ("2606", True)
    (state,) = designer.execute("webo.sale.service", "read", [service["id"]], ["iban", "pending_iban"])
    assert "".join(state["iban"].split()) == "".join(NEW_IBAN.split()) and not state["pending_iban"]


def test_the_operator_creates_the_account_of_a_service_opened_before_the_key(
        new_designer, admin, stripe_api):
    designer, company = new_designer("Atelier Ancien")
    service = service_of(designer)
    assert service["stripe_account_id"] is False

    # No key yet: refused, nothing written.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin.execute("webo.sale.service", "action_create_stripe_account", [service["id"]],
                      context={"lang": "fr_FR"})
    assert_fault(refused, "webo_sale.stripe_secret_key")
    set_parameters(admin, dict(zip(PARAMETERS, (SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET,
                                                stripe_api.base), strict=True)))
    try:
        # Not the designer's to do.
        with pytest.raises(xmlrpc.client.Fault) as refused:
            designer.execute("webo.sale.service", "action_create_stripe_account", [service["id"]])
        assert_fault(refused, "Seul l'opérateur de la plateforme", code=4)
        assert service_of(designer)["stripe_account_id"] is False
        assert not [r for r in stripe_api.requests if r["path"] == "/v1/accounts"
                    and r["params"].get("metadata", {}).get("webo_company_id") == str(company)]

        # A service not open yet: its account comes with the opening.
        unopened_designer, _unopened_company = new_designer("Atelier Pas Ouvert", open_service=False)
        unopened = unopened_designer.execute("webo.sale.service", "webo_my_service")
        with pytest.raises(xmlrpc.client.Fault) as refused:
            admin.execute("webo.sale.service", "action_create_stripe_account", [unopened],
                          context={"lang": "fr_FR"})
        assert_fault(refused, "n'est pas ouvert")
        # Stripe refuses: its message in French, nothing written.
        stripe_api.refuse_next("/v1/accounts", "Invalid IBAN provided.",
                               param="external_account[account_number]")
        with pytest.raises(xmlrpc.client.Fault) as refused:
            admin.execute("webo.sale.service", "action_create_stripe_account", [service["id"]],
                          context={"lang": "fr_FR"})
        assert_fault(refused, "Étape 2 (documents et IBAN)", "Invalid IBAN provided.")
        assert service_of(designer)["stripe_account_id"] is False

        assert admin.execute("webo.sale.service", "action_create_stripe_account", [service["id"]]) is True
        account_id = service_of(designer)["stripe_account_id"]
        account = stripe_api.accounts[account_id]
        assert account["business_type"] == "company"
        assert account["external_accounts"]["data"][0]["last4"] == "0189"
        assert len(uploads_to(stripe_api, account_id)) == 4
        (person,) = [p for p in stripe_api.persons.values() if p["account"] == account_id]
        assert person["last_name"] == "Durand"

        # Once is enough.
        with pytest.raises(xmlrpc.client.Fault) as refused:
            admin.execute("webo.sale.service", "action_create_stripe_account", [service["id"]],
                          context={"lang": "fr_FR"})
        assert_fault(refused, account_id)
        # (the request Stripe refused above, the one that made the account)
        assert len([r for r in stripe_api.requests if r["path"] == "/v1/accounts"
                    and r["params"].get("metadata", {}).get("webo_company_id") == str(company)]) == 2
        assert [a["id"] for a in stripe_api.accounts.values()
                if a["metadata"].get("webo_company_id") == str(company)] == [account_id]
    finally:
        set_parameters(admin, {})


def accept_terms(session, service_id, **kwargs):
    return session.execute("webo.sale.service", "webo_accept_stripe_terms", [service_id],
                           context={"lang": "fr_FR"}, **kwargs)


def test_terms_accepted_after_an_opening_made_over_xmlrpc(shop, admin, claire, stripe_platform,
                                                         odoo_url):
    designer, _company, _invoice, _record, _address = shop
    service = service_of(designer)
    account_id = service["stripe_account_id"]
    account = stripe_platform.accounts[account_id]
    fields = ["stripe_tos_pending", "stripe_tos_ip", "stripe_tos_date", "stripe_verification",
              "stripe_requirement_codes"]
    (before,) = designer.execute("webo.sale.service", "read", [service["id"]], fields)
    assert before["stripe_tos_pending"] and not before["stripe_tos_ip"] and not before["stripe_tos_date"]
    assert "tos_acceptance.ip" in before["stripe_requirement_codes"]

    def unchanged():
        (now,) = designer.execute("webo.sale.service", "read", [service["id"]], fields)
        assert now == before
        assert not account.get("tos_acceptance")

    # Over XML-RPC the address must be sent, and be one.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        accept_terms(designer, service["id"])
    assert_fault(refused, "Envoyez l'adresse IP")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        accept_terms(designer, service["id"], ip="203.0.113.300")
    assert_fault(refused, "n'est pas une adresse IP")
    # Nobody else accepts for the designer: another workspace's designer
    # (who cannot see the service), nor the platform operator.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        accept_terms(claire, service["id"], ip="203.0.113.7")
    assert_fault(refused, code=4)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        accept_terms(admin, service["id"], ip="203.0.113.7")
    assert_fault(refused, "Seuls les concepteurs de l'espace", code=4)
    # Nor by a plain write.
    with pytest.raises(xmlrpc.client.Fault):
        designer.execute("webo.sale.service", "write", [service["id"]], {"stripe_tos_ip": "203.0.113.7"})
    # Stripe refuses: its message, nothing written.
    stripe_platform.refuse_next("/v1/accounts/%s" % account_id, "The IP address is not valid.",
                                param="tos_acceptance[ip]")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        accept_terms(designer, service["id"], ip="203.0.113.7")
    assert_fault(refused, "Le prestataire de paiement a refusé l'acceptation de ses conditions",
                 "The IP address is not valid.")
    unchanged()

    # The designer's own address, sent by the integrator's client.
    before_call = int(time.time()) - 1
    assert accept_terms(designer, service["id"], ip=" 2001:db8::7 ", user_agent="Mozilla/5.0 Intégration") \
        is True
    tos = account["tos_acceptance"]
    assert (tos["ip"], tos["user_agent"]) == ("2001:db8::7", "Mozilla/5.0 Intégration")
    assert before_call <= int(tos["date"]) <= time.time() + 1
    (after,) = designer.execute("webo.sale.service", "read", [service["id"]], fields)
    assert not after["stripe_tos_pending"] and after["stripe_tos_ip"] == "2001:db8::7"
    assert after["stripe_tos_date"]
    assert "tos_acceptance" not in (after["stripe_requirement_codes"] or "")
    assert after["stripe_verification"] == "pending"

    # From the browser (the Documents tab's button), the request's address
    # is the one sent, whatever the call says.
    browser = requests.Session()
    browser.headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) webo-button"
    reply = browser.post(odoo_url + "/web/session/authenticate", json={"jsonrpc": "2.0", "params": {
        "db": designer.database, "login": designer.login, "password": designer.password}}, timeout=120)
    assert reply.json()["result"]["uid"] == designer.uid
    reply = browser.post(odoo_url + "/web/dataset/call_button", timeout=120, json={
        "jsonrpc": "2.0", "method": "call", "params": {
            "model": "webo.sale.service", "method": "action_accept_stripe_terms",
            "args": [[service["id"]], {"lang": "fr_FR"}]}})
    assert "error" not in reply.json(), reply.json()
    tos = account["tos_acceptance"]
    assert (tos["ip"], tos["user_agent"]) == ("127.0.0.1", "Mozilla/5.0 (X11; Linux x86_64) webo-button")


def test_a_replaced_document_goes_to_the_connected_account(shop, admin, stripe_platform):
    """After the opening, a document the designer replaces (a refused one,
    most often) is uploaded to Stripe and put where Stripe takes it; a file
    Stripe refuses leaves the document as it was."""
    designer, _company, _invoice, _record, _address = shop
    account_id = service_of(designer)["stripe_account_id"]
    documents = {d["kind"]: d["id"] for d in designer.execute("webo.sale.document", "search_read", [],
                                                               fields=["kind"])}
    opened_with = len(uploads_to(stripe_platform, account_id))

    def replace(kind, filename):
        wizard = designer.execute("webo.sale.document.replace", "create", {
            "document_id": documents[kind], "file": png(), "filename": filename})
        return designer.execute("webo.sale.document.replace", "action_replace", [wizard],
                                context={"lang": "fr_FR"})

    replace("registration", "kbis-2026.png")
    (upload,) = uploads_to(stripe_platform, account_id)[opened_with:]
    owner, file = stripe_file(stripe_platform, stripe_platform.accounts[account_id]["company"][
        "verification"]["document"]["front"])
    assert (owner, file["filename"], file["purpose"]) == (
        account_id, "kbis-2026.png", "additional_verification")
    assert upload["params"]["purpose"] == "additional_verification"

    # The company's identity document is its representative's: the same person, updated.
    replace("identity", "cni-nette.png")
    (person,) = [p for p in stripe_platform.persons.values() if p["account"] == account_id]
    owner, file = stripe_file(stripe_platform, person["verification"]["document"]["front"])
    assert (owner, file["filename"], file["purpose"]) == (account_id, "cni-nette.png", "identity_document")

    # Stripe refuses the file: its message in French, the document unchanged.
    stripe_platform.refuse_next("/v1/files", "The file you uploaded is not a supported type.",
                                param="file")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        replace("bank", "rib-nouveau.png")
    assert_fault(refused, "Le prestataire de paiement a refusé", "not a supported type")
    (bank,) = designer.execute("webo.sale.document", "read", [documents["bank"]], ["filename"])
    assert bank["filename"] != "rib-nouveau.png"
