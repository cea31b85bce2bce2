"""Invoicing over XML-RPC, from a separate process, as a designer's script does it.

Client accounts, the invoice wizard (create + ``action_send``), resend,
cancellation by credit note and the French-law refusals, with the mail
Odoo really sends: a real SMTP server on loopback receives it (``outbox``,
tests/conftest.py), the PDF is read back with pdftotext and the client's
payment page is fetched without a login.

Each test makes its own client (a distinctive name, a billing contact with
an address of its own) and archives it at the end: issued invoices cannot be
deleted, and the other tests expect each designer's three demo clients only.
"""
import datetime
import re
import subprocess
import threading
import uuid
import xmlrpc.client
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from conftest import CLIENT_PREFIX, archive_clients, find_clients

VALID_SIRET = "73282932000074"
VALID_VAT = "FR44732829320"  # the same company: FR + key + SIREN 732829320
INVALID_SIRET = "73282932000075"  # wrong check digit
INVALID_VAT = "FR00000000000"
LINE = {"name": "Refonte du site vitrine", "quantity": 1, "price_unit": 500.0}
INVOICE_NUMBER = re.compile(r"^FAC/\d{4}/\d{4,}$")
CREDIT_NOTE_NUMBER = re.compile(r"^RFAC/\d{4}/\d{4,}$")
# odoo.service.wsgi_server: the fault codes of a UserError and an AccessError.
USER_ERROR = 2
ACCESS_ERROR = 4
INVOICE_FIELDS = ["number", "move_name", "state", "webo_state", "amount_total", "residual",
                  "date_invoice", "date_due", "webo_credit_note_id", "partner_id"]


def dates(days_due=30):
    today = datetime.date.today()
    return today.isoformat(), (today + datetime.timedelta(days=days_due)).isoformat()


def new_wizard(session, client, **values):
    date_invoice, date_due = dates()
    vals = {
        "name": "Site vitrine",
        "partner_id": client,
        "date_invoice": date_invoice,
        "date_due": date_due,
        "recurrence": "none",
        "line_ids": [(0, 0, dict(LINE))],
    }
    vals.update(values)
    return session.execute("webo.invoice.wizard", "create", vals)


def send_invoice(session, client, **values):
    """Create the wizard and send it (what "Envoyer la facture" does); the new invoice's id."""
    wizard = new_wizard(session, client, **values)
    action = session.execute("webo.invoice.wizard", "action_send", [wizard])
    assert action["res_model"] == "account.invoice", action
    return action["res_id"]


def read_invoice(session, invoice):
    (record,) = session.execute("account.invoice", "read", [invoice], INVOICE_FIELDS)
    return record


def invoice_count(session):
    """All the invoices (and credit notes) the session's user can see: their workspace's."""
    return session.execute("account.invoice", "search_count", [])


def mail_to(received, address):
    return [mail for mail in received if address in mail.recipients]


def pdf_text(pdf):
    result = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf,
                            capture_output=True, check=True, timeout=60)
    return result.stdout.decode("utf-8")


def assert_pdf_of(mail, number):
    """The message carries exactly one attachment, the PDF of ``number``
    (named after it); returns (filename, bytes, text)."""
    assert len(mail.attachments) == 1, [name for name, _ in mail.attachments]
    ((filename, pdf),) = mail.attachments
    assert filename == number.replace("/", "-") + ".pdf"
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    text = pdf_text(pdf)
    assert number in text, text
    return filename, pdf, text


def assert_fault(refused, *fragments, code=None):
    fault = refused.value
    if code is not None:
        assert fault.faultCode == code, fault.faultString
    for fragment in fragments:
        assert fragment in fault.faultString, fault.faultString


def local_url(odoo_url, url):
    """``url`` on the test server: webo_payment_url is built on web.base.url."""
    parts = urlsplit(url)
    return "%s%s?%s" % (odoo_url, parts.path, parts.query)


# Client accounts -----------------------------------------------------------------


def test_client_account_with_billing_contact_siret_and_vat(claire, julien, admin, new_client):
    client, address = new_client(siret="732 829 320 00074", vat="fr44732829320", city="Lyon")
    (record,) = claire.execute("res.partner", "read", [client],
                               ["name", "is_company", "customer", "siret", "vat", "company_id",
                                "child_ids", "parent_id"])
    (user,) = claire.execute("res.users", "read", [claire.uid], ["company_id"])
    assert (record["siret"], record["vat"]) == (VALID_SIRET, VALID_VAT), "stored compact, upper case"
    assert record["is_company"] and record["customer"] and not record["parent_id"]
    assert record["company_id"] == user["company_id"]
    (contact,) = claire.execute("res.partner", "read", record["child_ids"], ["type", "email"])
    assert (contact["type"], contact["email"]) == ("invoice", address)
    listed = claire.execute("res.partner", "search",
                            [("customer", "=", True), ("parent_id", "=", False)])
    assert client in listed
    assert julien.execute("res.partner", "search", [("id", "=", client)]) == []
    # What the refusal tests below rely on to see that nothing was written.
    assert find_clients(admin, record["name"]) == [client]


@pytest.mark.parametrize("values, message", [
    ({"siret": INVALID_SIRET}, "Le SIRET %s n'est pas valide" % INVALID_SIRET),
    ({"vat": INVALID_VAT}, "Le numéro de TVA %s n'est pas valide" % INVALID_VAT),
    ({"siret": VALID_SIRET, "vat": INVALID_VAT}, "Le numéro de TVA %s n'est pas valide" % INVALID_VAT),
], ids=["siret", "vat", "valid-siret-invalid-vat"])
def test_invalid_siret_or_vat_is_refused_and_nothing_is_written(claire, admin, values, message):
    name = "%s %s" % (CLIENT_PREFIX, uuid.uuid4().hex[:10])
    vals = dict(values, name=name, is_company=True, customer=True,
                child_ids=[(0, 0, {"type": "invoice", "name": "Compta", "email": "compta@example.org"})])
    try:
        with pytest.raises(xmlrpc.client.Fault) as refused:
            claire.execute("res.partner", "create", vals)
        # The French message alone: no Python exception name, no traceback.
        assert_fault(refused, message, code=USER_ERROR)
        fault = refused.value.faultString
        assert "Traceback" not in fault and "ValidationError" not in fault
        assert find_clients(admin, name) == [] and find_clients(claire, name) == []
        assert admin.execute("res.partner", "search", [("email", "=", "compta@example.org")],
                             context={"active_test": False}) == []
    finally:
        archive_clients(claire, find_clients(claire, name))


# Create and send -----------------------------------------------------------------


def test_invoice_is_sent_by_email_with_its_pdf_and_its_payment_page(claire, new_client, outbox, odoo_url):
    client, address = new_client(siret=VALID_SIRET, vat=VALID_VAT)
    invoice = send_invoice(claire, client)
    record = read_invoice(claire, invoice)
    number = record["number"]
    assert INVOICE_NUMBER.match(number), number
    # "Sent" once the mail server has accepted the email, not before.
    assert (record["state"], record["webo_state"], record["amount_total"]) == ("open", "sending", 500.0)
    (url,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    payment_url = url["webo_payment_url"]
    assert urlsplit(payment_url).path == "/my/invoices/%d" % invoice, payment_url
    token = parse_qs(urlsplit(payment_url).query)["access_token"][0]

    received = mail_to(outbox.collect(), address)
    assert len(received) == 1, [mail.subject for mail in received]
    (state,) = claire.execute("account.invoice", "read", [invoice],
                              ["webo_state", "webo_email_state", "sent"])
    assert (state["webo_state"], state["webo_email_state"], state["sent"]) == ("sent", "sent", True)
    (mail,) = received
    assert mail.recipients == [address]
    assert address in str(mail.message["To"])
    assert number in mail.subject, mail.subject
    _, _, text = assert_pdf_of(mail, number)
    assert "293 B" in text, "VAT franchise mention missing:\n" + text
    assert payment_url in "".join(text.split()), "payment page missing from the PDF:\n" + text
    assert payment_url in mail.body("html")

    page = requests.get(local_url(odoo_url, payment_url), allow_redirects=False, timeout=120)
    assert page.status_code == 200, (page.status_code, page.headers.get("Location"))
    assert number in page.text

    # The page's download is the very PDF the client was sent.
    download = requests.get("%s/my/invoices/pdf/%d?access_token=%s" % (odoo_url, invoice, token),
                            timeout=120)
    assert download.status_code == 200
    assert download.content == dict(mail.attachments)[number.replace("/", "-") + ".pdf"]

    # Another token (or none) finds nothing (tests/test_payment_page.py has the rest).
    for query in ({"access_token": str(uuid.uuid4())}, {}):
        refused_url = "%s/my/invoices/%d?%s" % (odoo_url, invoice, urlencode(query))
        refused = requests.get(refused_url, allow_redirects=False, timeout=120)
        assert refused.status_code == 404, refused.status_code
        assert number not in refused.text and token not in refused.text


def test_resend_sends_the_very_same_pdf_again(claire, new_client, outbox):
    client, address = new_client()
    invoice = send_invoice(claire, client)
    (first,) = mail_to(outbox.collect(), address)
    before = read_invoice(claire, invoice)

    assert claire.execute("account.invoice", "webo_resend", [invoice]) is True

    received = mail_to(outbox.collect(), address)
    assert len(received) == 1, [mail.subject for mail in received]
    (again,) = received
    assert before["number"] in again.subject
    assert_pdf_of(again, before["number"])
    assert again.attachments == first.attachments, "the resent PDF differs from the first one"
    assert read_invoice(claire, invoice) == before


# Cancel by credit note ----------------------------------------------------------


def test_cancel_with_credit_note_sends_it_and_credits_the_invoice(claire, new_client, outbox):
    client, address = new_client()
    invoice = send_invoice(claire, client)
    number = read_invoice(claire, invoice)["number"]
    mail_to(outbox.collect(), address)

    credit_note = claire.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    assert isinstance(credit_note, int) and credit_note != invoice

    cancelled = read_invoice(claire, invoice)
    assert (cancelled["webo_state"], cancelled["state"], cancelled["residual"]) == ("credited", "paid", 0.0)
    assert cancelled["webo_credit_note_id"][0] == credit_note
    assert cancelled["number"] == number
    (note,) = claire.execute("account.invoice", "read", [credit_note],
                             ["type", "state", "number", "amount_total", "refund_invoice_id", "partner_id"])
    assert (note["type"], note["state"], note["amount_total"]) == ("out_refund", "paid", 500.0)
    assert note["refund_invoice_id"][0] == invoice and note["partner_id"][0] == client
    assert CREDIT_NOTE_NUMBER.match(note["number"]), note["number"]

    received = mail_to(outbox.collect(), address)
    assert len(received) == 1, [mail.subject for mail in received]
    (mail,) = received
    assert note["number"] in mail.subject, mail.subject
    _, _, text = assert_pdf_of(mail, note["number"])
    assert number in text, "the credit note must name the invoice it cancels:\n" + text
    assert number in mail.body("html"), "the credit note's email names the invoice it cancels"
    (page,) = claire.execute("account.invoice", "read", [credit_note], ["webo_payment_url"])
    assert page["webo_payment_url"].replace("&", "&amp;") in mail.body("html"), \
        "the credit note's email carries the link of its page"

    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    assert_fault(refused, "déjà annulée par l'avoir %s" % note["number"], code=USER_ERROR)
    credit_notes = claire.execute("account.invoice", "search",
                                  [("partner_id", "=", client), ("type", "=", "out_refund")])
    assert credit_notes == [credit_note]
    assert read_invoice(claire, invoice) == cancelled
    assert mail_to(outbox.collect(), address) == []


# French law: an issued invoice is never deleted ---------------------------------


@pytest.mark.parametrize("method, operation", [
    ("unlink", "supprimée"),
    ("action_invoice_cancel", "annulée"),
    ("action_invoice_draft", "remise en brouillon"),
])
def test_issued_invoice_cannot_be_deleted_cancelled_or_reset(claire, new_client, method, operation):
    client, _ = new_client()
    invoice = send_invoice(claire, client)
    before = read_invoice(claire, invoice)

    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("account.invoice", method, [invoice])

    assert_fault(refused, "La facture %s a été émise et ne peut pas être %s" % (before["number"], operation),
                 "par un avoir", code=USER_ERROR)
    assert claire.execute("account.invoice", "search", [("id", "=", invoice)]) == [invoice]
    assert read_invoice(claire, invoice) == before
    assert before["state"] == "open"


# Bad input -------------------------------------------------------------------------


def claire_client_of_the_demo(claire):
    (client,) = claire.execute("res.partner", "search", [("name", "=", "Boulangerie Dupont")])
    return client


@pytest.mark.parametrize("case", ["zero total", "due before invoice date", "client without email",
                                  "another workspace's client"])
def test_bad_invoice_is_refused_and_nothing_is_issued(claire, julien, new_client, outbox, case):
    sender = claire
    date_invoice, _ = dates()
    values = {}
    if case == "zero total":
        client, address = new_client()
        values = {"line_ids": [(0, 0, dict(LINE, price_unit=0.0))]}
        expected = "doit être supérieur à zéro"
    elif case == "due before invoice date":
        client, address = new_client()
        yesterday = datetime.date.fromisoformat(date_invoice) - datetime.timedelta(days=1)
        values = {"date_due": yesterday.isoformat()}
        # the date as the designer reads it
        expected = "La date d'échéance (%s) est antérieure à la date de facture" % (
            yesterday.strftime("%d/%m/%Y"))
    elif case == "client without email":
        client, address = new_client(billing=False)
        expected = "n'a pas d'adresse e-mail"
    else:
        # (Other tests send mail to the demo client: no check of its mailbox.)
        sender, client, address = julien, claire_client_of_the_demo(claire), None
        # Another workspace's client is out of the designer's reach.
        expected = "appartient à un autre espace"
    counts = {"claire": invoice_count(claire), "julien": invoice_count(julien)}

    with pytest.raises(xmlrpc.client.Fault) as refused:
        send_invoice(sender, client, **values)

    assert_fault(refused, expected)
    assert {"claire": invoice_count(claire), "julien": invoice_count(julien)} == counts
    if sender is claire:
        assert claire.execute("account.invoice", "search", [("partner_id", "=", client)]) == []
    if address:
        assert mail_to(outbox.collect(), address) == []


def test_sending_the_same_wizard_twice_issues_one_invoice(claire, new_client, outbox):
    client, address = new_client()
    wizard = new_wizard(claire, client)
    invoice = claire.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
    number = read_invoice(claire, invoice)["number"]

    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.invoice.wizard", "action_send", [wizard])

    assert_fault(refused, "Cette facture a déjà été envoyée (%s)" % number, code=USER_ERROR)
    assert claire.execute("account.invoice", "search", [("partner_id", "=", client)]) == [invoice]
    assert claire.execute("account.invoice", "search", [("number", "=", number)]) == [invoice]
    assert len(mail_to(outbox.collect(), address)) == 1


def test_two_simultaneous_sends_of_one_wizard_issue_one_invoice(claire, rpc, new_client, outbox):
    """A double click: both calls at once, on two connections."""
    client, address = new_client()
    wizard = new_wizard(claire, client)
    sessions = [rpc("claire"), rpc("claire")]
    results = [None, None]
    start = threading.Barrier(len(sessions))

    def send(index):
        start.wait()
        try:
            results[index] = sessions[index].execute("webo.invoice.wizard", "action_send", [wizard])
        except xmlrpc.client.Fault as fault:
            results[index] = fault

    threads = [threading.Thread(target=send, args=(index,)) for index in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    faults = [result for result in results if isinstance(result, xmlrpc.client.Fault)]
    actions = [result for result in results if isinstance(result, dict)]
    assert len(actions) == 1 and len(faults) == 1, results
    assert "déjà été envoyée" in faults[0].faultString, faults[0].faultString
    invoice = actions[0]["res_id"]
    assert claire.execute("account.invoice", "search", [("partner_id", "=", client)]) == [invoice]
    assert len(mail_to(outbox.collect(), address)) == 1


# Another designer -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["webo_resend", "webo_cancel_with_credit_note"])
def test_designer_cannot_resend_or_cancel_another_workspace_invoice(claire, julien, new_client, outbox,
                                                                     method):
    client, address = new_client()
    invoice = send_invoice(claire, client)
    mail_to(outbox.collect(), address)
    before = read_invoice(claire, invoice)
    counts = {"claire": invoice_count(claire), "julien": invoice_count(julien)}

    with pytest.raises(xmlrpc.client.Fault) as refused:
        julien.execute("account.invoice", method, [invoice])

    assert_fault(refused, "politique de sécurité", code=ACCESS_ERROR)
    assert read_invoice(claire, invoice) == before
    assert {"claire": invoice_count(claire), "julien": invoice_count(julien)} == counts
    assert mail_to(outbox.collect(), address) == []


def test_sending_requires_an_open_sales_service(new_designer, admin):
    """Before the sales service is open, an invoice can be kept as a draft
    (the wizard's "Enregistrer en brouillon"), but neither sent nor issued
    nor made a subscription: its client could not pay. The refusal says how
    to open it, in French; nothing is written."""
    designer, _company = new_designer("Atelier Pas Encore", open_service=False)
    client = designer.execute("res.partner", "create", {
        "name": "Client %s" % uuid.uuid4().hex[:8], "is_company": True, "customer": True,
        "email": "client-%s@example.org" % uuid.uuid4().hex[:8]})
    for step in ("action_next", "action_send"):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            designer.execute("webo.invoice.wizard", step, [new_wizard(designer, client)])
        assert refused.value.faultCode == USER_ERROR
        assert "n'est pas encore ouvert" in refused.value.faultString, refused.value.faultString
        assert "Ouvrir mon service de vente" in refused.value.faultString
    assert designer.execute("account.invoice", "search", [("partner_id", "=", client)]) == []

    wizard = new_wizard(designer, client)
    draft_action = designer.execute("webo.invoice.wizard", "action_save_draft", [wizard])
    (draft,) = designer.execute("account.invoice", "read", [draft_action["res_id"]],
                                ["state", "number", "amount_total", "partner_id"])
    assert (draft["state"], draft["number"], draft["amount_total"]) == ("draft", False, 600.0)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "action_invoice_open", [draft["id"]])
    assert "n'est pas encore ouvert" in refused.value.faultString
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("webo.subscription", "webo_create", {
            "name": "Hébergement", "partner_id": client, "date_start": dates()[0],
            "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 30.0})]})
    assert "n'est pas encore ouvert" in refused.value.faultString
    (after,) = designer.execute("account.invoice", "read", [draft["id"]], ["state", "number"])
    assert (after["state"], after["number"]) == ("draft", False)
    assert designer.execute("webo.subscription", "search", []) == []
