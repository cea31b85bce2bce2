"""Bank transfers recognised by themselves, from outside: a CAMT.053
statement imported over XML-RPC, its transfers matched (a sure one paid at
once, an unsure one proposed, then confirmed or rejected), out of another
workspace's reach; the client's first view of the payment page ("Consultée"),
and what does not count as one; the EPC QR code decoded from the page as
Chromium shows it."""
import base64
import datetime
import importlib.util
import io
import uuid
import xmlrpc.client
from pathlib import Path

import pytest
import requests
from PIL import Image
from playwright.sync_api import sync_playwright
from pyzbar.pyzbar import decode
from test_browser import CHROMIUM, CHROMIUM_ARGS
from test_invoicing_api import ACCESS_ERROR, USER_ERROR, assert_fault, local_url, read_invoice, send_invoice

_spec = importlib.util.spec_from_file_location(
    "bank_files", Path(__file__).resolve().parents[1] / "webo_sale" / "tests" / "bank_files.py")
bank_files = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bank_files)

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def claire_iban(claire):
    service = claire.execute("webo.sale.service", "webo_my_service")
    (record,) = claire.execute("webo.sale.service", "read", [service], ["iban"])
    return record["iban"].replace(" ", "")


def invoice_of(claire, client, amount):
    invoice = send_invoice(claire, client, line_ids=[(0, 0, {
        "name": "Maintenance", "quantity": 1, "price_unit": amount})])
    return invoice, read_invoice(claire, invoice)["number"]


def import_statement(session, data, filename="releve.xml", **kwargs):
    return session.execute("account.bank.statement", "webo_import_statement",
                           base64.b64encode(data).decode(), filename, **kwargs)


def test_import_match_confirm_and_reject_over_xmlrpc(claire, julien, new_client):
    client, _address = new_client()
    paid, paid_number = invoice_of(claire, client, 431.17)
    partly, partly_number = invoice_of(claire, client, 612.40)
    today = datetime.date.today().isoformat()
    tag = uuid.uuid4().hex[:8]
    data = bank_files.camt053(claire_iban(claire), [
        {"amount": 431.17, "date": today, "text": "Reglement facture %s" % paid_number.lower(),
         "name": "CLIENT", "ref": "A-%s" % tag},
        {"amount": 100.0, "date": today, "text": "acompte %s" % partly_number.replace("/", " "),
         "name": "M. INCONNU", "ref": "B-%s" % tag},
        {"amount": -9.9, "date": today, "text": "Frais de tenue de compte", "ref": "C-%s" % tag},
    ], statement_id="STMT-%s" % tag)

    summary = import_statement(claire, data)
    assert (summary["lines"], summary["reconciled"], summary["proposed"]) == (3, 1, 1), summary
    assert read_invoice(claire, paid)["webo_state"] == "paid"

    proposals = claire.execute("webo.bank.match", "webo_proposals", statement_id=summary["statement_ids"][0])
    (proposal,) = proposals
    assert [invoice["number"] for invoice in proposal["invoices"]] == [partly_number]
    assert proposal["rule"] == "reference_unsure" and proposal["reason"]

    # Another workspace sees nothing of it and cannot act on it.
    assert proposal["id"] not in [p["id"] for p in julien.execute("webo.bank.match", "webo_proposals")]
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("webo.bank.match", "webo_confirm", [proposal["id"]])
    assert_fault(refused, code=ACCESS_ERROR)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("webo.bank.match", "webo_proposals", statement_id=summary["statement_ids"][0])
    assert_fault(refused, "appartient à un autre espace", code=USER_ERROR)

    assert claire.execute("webo.bank.match", "webo_confirm", [proposal["id"]]) is True
    record = read_invoice(claire, partly)
    assert (record["webo_state"], record["residual"]) == ("partial", 512.40)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.bank.match", "webo_reject", [proposal["id"]])
    assert_fault(refused, "n'attend plus de décision", code=USER_ERROR)

    # The same file again: refused, nothing written.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        import_statement(claire, data)
    assert_fault(refused, "déjà été importé", code=USER_ERROR)
    # Julien cannot import Claire's account into his workspace.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        import_statement(julien, bank_files.camt053(claire_iban(claire), [
            {"amount": 5.0, "date": today, "ref": "D-%s" % tag}], statement_id="J-%s" % tag))
    assert_fault(refused, "n'est pas un compte de votre espace", code=USER_ERROR)

    # An unsure transfer rejected stays unmatched.
    # An amount no other open invoice of the workspace has (the database may
    # hold earlier runs' invoices).
    amount = round(1000 + int(tag, 16) % 900000 / 100.0, 2)
    other, _number = invoice_of(claire, client, amount)
    summary = import_statement(claire, bank_files.camt053(claire_iban(claire), [
        {"amount": amount, "date": today, "text": "VIR SEPA", "name": "X", "ref": "E-%s" % tag}],
        statement_id="STMT2-%s" % tag))
    (proposal,) = claire.execute("webo.bank.match", "webo_proposals", summary["statement_ids"][0])
    assert proposal["rule"] == "amount_only"
    assert claire.execute("webo.bank.match", "webo_reject", [proposal["id"]]) is True
    record = read_invoice(claire, other)
    # Still due in full ("sent", or "sending" while its email waits for the mail queue).
    assert (record["state"], record["residual"]) == ("open", amount), record
    assert record["webo_state"] in ("sent", "sending"), record


def test_import_refusals_over_xmlrpc(claire):
    for args, fragment in (((123,), "Le fichier du relevé (base64)"),
                           ((base64.b64encode(b"hello").decode(), "a.txt"), "ni un relevé CAMT.053"),
                           ((base64.b64encode(b"<x/>").decode(), "a.xml", "journal"), "whole number")):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            claire.execute("account.bank.statement", "webo_import_statement", *args)
        assert_fault(refused, code=USER_ERROR)
        assert fragment in refused.value.faultString or "nombre entier" in refused.value.faultString, \
            refused.value.faultString


def viewed(claire, invoice):
    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_viewed_date"])
    return record["webo_viewed_date"]


def test_the_first_view_by_the_client_is_recorded_once(claire, new_client, odoo_url):
    client, _address = new_client()
    invoice, _number = invoice_of(claire, client, 120.0)
    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    url = local_url(odoo_url, record["webo_payment_url"])
    service = claire.execute("webo.sale.service", "webo_my_service")
    unviewed = claire.execute("webo.sale.service", "webo_synthesis", [service])["unviewed_count"]

    # What does not count: a HEAD, link previews and bots, a prefetch, no
    # browser at all, the designer's own preview, a wrong token.
    assert requests.head(url, headers={"User-Agent": FIREFOX}, timeout=120).status_code == 200
    for agent in ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
                  "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                  "WhatsApp/2.23.20.0", "Mozilla/5.0 (compatible; Googlebot/2.1)",
                  "TelegramBot (like TwitterBot)", "python-requests/2.32"):
        assert requests.get(url, headers={"User-Agent": agent}, timeout=120).status_code == 200
    requests.get(url, headers={"User-Agent": FIREFOX, "Sec-Purpose": "prefetch"}, timeout=120)
    requests.get(url.replace("access_token=", "access_token=x"), headers={"User-Agent": FIREFOX}, timeout=120)
    designer = requests.Session()
    reply = designer.post(odoo_url + "/web/session/authenticate", json={"jsonrpc": "2.0", "params": {
        "db": claire.database, "login": "claire", "password": "claire"}}, timeout=120)
    assert reply.json()["result"]["uid"] == claire.uid
    assert designer.get(url, headers={"User-Agent": FIREFOX}, timeout=120).status_code == 200
    assert viewed(claire, invoice) is False

    # The client, in a browser: recorded once, the Synthèse counts it.
    assert requests.get(url, headers={"User-Agent": FIREFOX}, timeout=120).status_code == 200
    first = viewed(claire, invoice)
    assert first
    assert claire.execute("webo.sale.service", "webo_synthesis", [service])["unviewed_count"] == unviewed - 1
    requests.get(url, headers={"User-Agent": FIREFOX}, timeout=120)
    assert viewed(claire, invoice) == first
    (listed,) = claire.execute("account.invoice", "search_read", [("id", "=", invoice)],
                               fields=["webo_viewed_date"])
    assert listed["webo_viewed_date"] == first

    # Nobody writes it by hand.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("account.invoice", "write", [invoice], {"webo_viewed_date": False})
    assert_fault(refused, "enregistrée que par sa page de paiement", code=USER_ERROR)


def test_the_payment_page_epc_qr_code_scans_to_the_transfer(claire, new_client, odoo_url):
    client, _address = new_client()
    invoice, number = invoice_of(claire, client, 987.65)
    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="fr-FR")
            page.goto(local_url(odoo_url, record["webo_payment_url"]))
            text = page.inner_text(".o_webo_transfer")
            png = page.locator(".o_webo_epc_qr img").screenshot()
        finally:
            chromium.close()
    assert "Gardez la référence %s" % number in " ".join(text.split())
    (code,) = decode(Image.open(io.BytesIO(png)))
    fields = code.data.decode("utf-8").split("\n")
    assert fields[0] == "BCD" and fields[3] == "SCT"
    assert fields[5] == "Atelier Claire Martin"
    assert fields[6] == claire_iban(claire)
    assert fields[7] == "EUR987.65"
    assert fields[-1] == number
