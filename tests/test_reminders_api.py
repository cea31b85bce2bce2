"""Reminders over XML-RPC, from a separate process: what is due, the run,
pausing, and the refusals; the reminder email received by a real SMTP
server on loopback, with the invoice's payment link.

Each test works in a new workspace of its own (``new_designer``): its late
invoices are the only ones its designer's run reminds.
"""
import datetime
import uuid
import xmlrpc.client

import pytest
import requests
from test_invoicing_api import ACCESS_ERROR, USER_ERROR, archive_clients, local_url


def late_invoice(designer, days_late, is_company=True, amount=800.0):
    """A client with a billing contact, and an invoice sent through the
    wizard, due ``days_late`` days ago. Returns (invoice id, client id,
    billing address)."""
    tag = uuid.uuid4().hex[:10]
    address = "relances-%s@example.org" % tag
    client = designer.execute("res.partner", "create", {
        "name": "Client relances %s" % tag, "is_company": is_company, "customer": True,
        "lang": "fr_FR",
        "child_ids": [(0, 0, {"type": "invoice", "name": "Comptabilité", "email": address,
                              "lang": "fr_FR"})]})
    today = datetime.date.today()
    wizard = designer.execute("webo.invoice.wizard", "create", {
        "name": "Refonte du site", "partner_id": client,
        "date_invoice": (today - datetime.timedelta(days=days_late + 30)).isoformat(),
        "date_due": (today - datetime.timedelta(days=days_late)).isoformat(),
        "line_ids": [(0, 0, {"name": "Refonte", "quantity": 1, "price_unit": amount})]})
    invoice = designer.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
    return invoice, client, address


def due_ids(session):
    return [row["invoice_id"] for row in session.execute("account.invoice", "webo_reminders_due")]


@pytest.fixture()
def workspace(new_designer, outbox):
    """A new workspace's designer session; its clients archived at the end,
    once the mail queue is sent."""
    designer, _company = new_designer("Atelier Relances")
    yield designer
    outbox.collect()
    archive_clients(designer, designer.execute("res.partner", "search", [
        ("customer", "=", True), ("parent_id", "=", False)]))


def test_the_reminder_due_is_emailed_once_with_the_payment_link(workspace, outbox, odoo_url):
    invoice, _client, address = late_invoice(workspace, days_late=16)
    outbox.collect()  # the invoice itself
    (due,) = workspace.execute("account.invoice", "webo_reminders_due")
    assert (due["invoice_id"], due["level"], due["days_late"]) == (invoice, "Mise en demeure", 16)
    assert due["amount_due"] == 960.0, "800 EUR + 20 % VAT"

    assert workspace.execute("account.invoice", "webo_run_reminders") == 1
    assert workspace.execute("account.invoice", "webo_run_reminders") == 0, "once per level"
    received = outbox.collect()
    assert [mail.recipients for mail in received] == [[address]], received
    (mail,) = received
    (record,) = workspace.execute("account.invoice", "read", [invoice],
                                  ["number", "webo_payment_url", "webo_reminder_level_id",
                                   "webo_reminder_date"])
    assert mail.subject == "Mise en demeure de payer la facture %s" % record["number"]
    body = mail.body("html")
    assert record["webo_payment_url"] and record["webo_payment_url"].replace("&", "&amp;") in body
    assert "960,00\N{NO-BREAK SPACE}€" in body
    # 960 EUR x 10 % a year x 16 / 365 days = 4.21 EUR
    assert "4,21\N{NO-BREAK SPACE}€" in body
    assert "40,00\N{NO-BREAK SPACE}€" in body, "a business client owes the recovery indemnity"
    assert record["webo_reminder_level_id"][1] == "Mise en demeure"
    assert record["webo_reminder_date"] == datetime.date.today().isoformat()
    page = requests.get(local_url(odoo_url, record["webo_payment_url"]), timeout=60)
    assert page.status_code == 200, "the link opens the invoice's page without a login"

    (logged,) = workspace.execute("webo.invoice.reminder", "search_read", [("invoice_id", "=", invoice)],
                                  fields=["level_id", "date", "days_late", "penalty"])
    assert (logged["days_late"], logged["penalty"]) == (16, 4.21)


def test_pause_and_resume_an_invoice_or_a_client(workspace, outbox):
    invoice, client, address = late_invoice(workspace, days_late=2, is_company=False)
    outbox.collect()  # the invoice itself
    assert due_ids(workspace) == [invoice]
    assert workspace.execute("account.invoice", "webo_pause_reminders", [invoice]) is True
    assert due_ids(workspace) == []
    assert workspace.execute("account.invoice", "webo_run_reminders") == 0
    workspace.execute("account.invoice", "webo_resume_reminders", [invoice])
    assert workspace.execute("res.partner", "webo_pause_reminders", [client]) is True
    assert due_ids(workspace) == []
    assert workspace.execute("account.invoice", "webo_run_reminders") == 0
    workspace.execute("res.partner", "webo_resume_reminders", [client])
    assert workspace.execute("account.invoice", "webo_run_reminders") == 1
    (mail,) = outbox.collect()
    assert mail.recipients == [address]
    assert mail.subject.startswith("Rappel : facture "), mail.subject
    assert "40,00" not in mail.body("html"), "no recovery indemnity for a private person"


def test_refusals(workspace, claire, outbox):
    invoice, client, _address = late_invoice(workspace, days_late=5)
    # Another workspace's designer: out of reach, in French, nothing written.
    for model, record in (("account.invoice", invoice), ("res.partner", client)):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            claire.execute(model, "webo_pause_reminders", [record])
        assert refused.value.faultCode == ACCESS_ERROR, refused.value.faultString
        assert "appartient à un autre espace de travail" in refused.value.faultString
    assert due_ids(workspace) == [invoice], "still due: nothing was paused"
    assert invoice not in due_ids(claire)

    # A draft invoice has no reminders.
    (sale_journal,) = workspace.execute("account.journal", "search", [("type", "=", "sale")], limit=1)
    (partner,) = workspace.execute("res.partner", "read", [client], ["property_account_receivable_id"])
    draft = workspace.execute("account.invoice", "create", {
        "partner_id": client, "journal_id": sale_journal, "date_due": "2026-01-01",
        "account_id": partner["property_account_receivable_id"][0]})
    with pytest.raises(xmlrpc.client.Fault) as refused:
        workspace.execute("account.invoice", "webo_pause_reminders", [draft])
    assert refused.value.faultCode == USER_ERROR
    assert "n'est pas émise" in refused.value.faultString
    workspace.execute("account.invoice", "unlink", [draft])

    # A bad level: refused in French, nothing written.
    level = workspace.execute("webo.reminder.level", "search_read", [("days", "=", 8)],
                              fields=["days", "subject"])[0]
    for values, message in (({"days": -2}, "au moins un jour après l'échéance"),
                            ({"days": 15}, "déjà envoyée 15 jours après l'échéance"),
                            ({"subject": ""}, "est vide")):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            workspace.execute("webo.reminder.level", "write", [level["id"]], values)
        # The French message alone (no traceback), as every refusal of the API.
        assert refused.value.faultCode == USER_ERROR, refused.value.faultString
        assert message in refused.value.faultString, refused.value.faultString
    assert workspace.execute("webo.reminder.level", "read", [level["id"]], ["days", "subject"]) == [level]

    # Ahead of time: refused.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        workspace.execute("account.invoice", "webo_run_reminders", "2099-01-01")
    assert "à l'avance" in refused.value.faultString
    assert due_ids(workspace) == [invoice]
