"""An issued invoice cannot change, over XML-RPC, whoever asks.

For every field of an issued invoice, of its lines, its taxes and its
journal entry (with its items), a plain ``write`` by the designer and by
the platform operator is refused in French, naming the credit note, and
nothing changes; the fields the reference lists as still alterable do
change. The integrity check of the books runs over XML-RPC and finds an
amount changed directly in PostgreSQL."""
import datetime
import xmlrpc.client

import psycopg2
import pytest
from conftest import run_cron
from test_invoicing_api import USER_ERROR, send_invoice

# docs/xmlrpc.rst, "An issued invoice cannot change".
ALTERABLE = {
    "account.invoice": {"state", "sent", "webo_email_state", "webo_email_error", "webo_reminder_paused",
                        "webo_credit_note_id", "payment_tx_id", "webo_viewed_date"},
    "account.invoice.line": set(),
    "account.invoice.tax": set(),
    "account.move": set(),
    "account.move.line": {"full_reconcile_id", "blocked", "expected_pay_date", "internal_note"},
}
MAGIC = {"id", "create_uid", "create_date", "write_uid", "write_date", "__last_update", "display_name"}
LEAKS = ("Traceback", "psycopg2", "Error:", 'File "')


def is_chatter(name):
    """mail.thread's and mail.activity.mixin's fields: what is said about the invoice."""
    return name.startswith(("message_", "activity_", "website_message"))


def other_value(session, field, current, ids_of):
    """A value of ``field``'s type different from ``current``."""
    kind = field["type"]
    if kind in ("char", "text", "html"):
        return "Modifié"
    if kind == "integer":
        return (current or 0) + 7
    if kind in ("float", "monetary"):
        return (current or 0.0) + 1.0
    if kind == "boolean":
        return not current
    if kind == "date":
        return "2020-01-01"
    if kind == "datetime":
        return "2020-01-01 00:00:00"
    if kind == "selection":
        choices = [key for key, _label in field["selection"] if key != current]
        return choices[0] if choices else current
    if kind == "many2one":
        candidates = [record for record in ids_of(field["relation"]) if record != (current or [None])[0]]
        return candidates[0] if candidates else False
    if kind in ("one2many", "many2many"):
        return [(5,)]
    if kind == "binary":
        return "eA=="
    return False


@pytest.fixture(scope="module")
def ids_of(admin):
    cache = {}

    def ids(model):
        if model not in cache:
            cache[model] = admin.execute(model, "search", [], limit=3, context={"active_test": False})
        return cache[model]
    return ids


@pytest.fixture()
def issued(claire, new_client):
    """An invoice claire issued, with its line, its journal entry and its items."""
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    (record,) = claire.execute("account.invoice", "read", [invoice],
                               ["number", "invoice_line_ids", "tax_line_ids", "move_id"])
    move = record["move_id"][0]
    items = claire.execute("account.move.line", "search", [("move_id", "=", move)])
    return {"account.invoice": [invoice], "account.invoice.line": record["invoice_line_ids"],
            "account.move": [move], "account.move.line": items, "number": record["number"]}


@pytest.fixture()
def issued_with_vat(studio, admin, smtp_routing):
    """An invoice of an open workspace subject to VAT, issued, and its tax
    line (the demo's julien has not opened his sales service: he sends
    nothing)."""
    designer, _company = studio
    client = designer.execute("res.partner", "create", {
        "name": "Client TVA %s" % datetime.datetime.now().strftime("%H%M%S%f"), "is_company": True,
        "customer": True, "child_ids": [(0, 0, {"type": "invoice", "name": "Compta",
                                                "email": "tva@example.org"})]})
    try:
        invoice = send_invoice(designer, client)
        (record,) = designer.execute("account.invoice", "read", [invoice], ["number", "tax_line_ids"])
        yield {"account.invoice.tax": record["tax_line_ids"], "number": record["number"]}
    finally:
        run_cron(admin, "mail", "ir_cron_mail_scheduler_action")
        family = designer.execute("res.partner", "search", [("id", "child_of", [client])])
        designer.execute("res.partner", "write", family, {"active": False})


def test_every_field_of_an_issued_tax_line_is_refused(studio, admin, issued_with_vat, ids_of):
    check_every_field_refused((studio[0], admin), "account.invoice.tax", issued_with_vat, ids_of)


def stored_values(session, model, ids):
    fields = session.execute(model, "fields_get", attributes=["type", "store"])
    names = sorted(name for name, field in fields.items() if field.get("store", True) and name not in MAGIC)
    return session.execute(model, "read", ids, names)


@pytest.mark.parametrize("model", ["account.invoice", "account.invoice.line", "account.move",
                                   "account.move.line"])
def test_every_field_of_what_was_issued_is_refused_to_designer_and_operator(
        claire, admin, issued, ids_of, model):
    check_every_field_refused((claire, admin), model, issued, ids_of)


def check_every_field_refused(sessions, model, issued, ids_of):
    """Each session's write of each field of ``model``'s first issued
    record is refused in French, naming the credit note; nothing changes."""
    admin = sessions[-1]
    assert issued[model], "no %s to check" % model
    record_id = issued[model][0]
    fields = admin.execute(model, "fields_get", attributes=["type", "selection", "relation", "store"])
    (current,) = admin.execute(model, "read", [record_id], [name for name in fields if name not in MAGIC])
    before = stored_values(admin, model, [record_id])
    protected = sorted(name for name in fields
                       if name not in MAGIC | ALTERABLE[model] and not is_chatter(name))
    assert len(protected) > (60 if model == "account.invoice" else 10), protected
    refused = {}
    for session in sessions:
        for name in protected:
            value = other_value(admin, fields[name], current.get(name), ids_of)
            with pytest.raises(xmlrpc.client.Fault) as refusal:
                session.execute(model, "write", [record_id], {name: value})
            fault = refusal.value
            refused[name] = fault.faultString
            assert fault.faultCode == USER_ERROR, (name, fault.faultString)
            assert issued["number"] in fault.faultString and "avoir" in fault.faultString, (
                name, fault.faultString)
            assert not any(leak in fault.faultString for leak in LEAKS), (name, fault.faultString)
    assert "ne peut plus changer" in refused[protected[0]]
    assert stored_values(admin, model, [record_id]) == before, "nothing changed"


def test_lines_cannot_be_added_or_removed(claire, admin, issued):
    (line,) = claire.execute("account.invoice.line", "read", issued["account.invoice.line"],
                             ["account_id", "price_unit"])
    for session in (claire, admin):
        for method, args in (("unlink", [issued["account.invoice.line"]]),
                             ("create", [{"invoice_id": issued["account.invoice"][0], "name": "Ajout",
                                          "quantity": 1, "price_unit": 1.0,
                                          "account_id": line["account_id"][0]}])):
            with pytest.raises(xmlrpc.client.Fault) as refusal:
                session.execute("account.invoice.line", method, *args)
            assert refusal.value.faultCode == USER_ERROR and "avoir" in refusal.value.faultString
        for method in ("unlink", "action_invoice_cancel", "action_invoice_draft"):
            with pytest.raises(xmlrpc.client.Fault):
                session.execute("account.invoice", method, issued["account.invoice"])
    (invoice,) = claire.execute("account.invoice", "read", issued["account.invoice"],
                                ["state", "invoice_line_ids", "amount_total"])
    assert invoice == {"id": issued["account.invoice"][0], "state": "open",
                       "invoice_line_ids": issued["account.invoice.line"], "amount_total": 500.0}


def test_the_alterable_fields_still_change(claire, admin, issued, new_client):
    invoice = issued["account.invoice"]
    for session in (claire, admin):
        session.execute("account.invoice", "write", invoice, {"sent": False})
        session.execute("account.invoice", "write", invoice, {"sent": True, "webo_reminder_paused": True})
        session.execute("account.invoice", "write", invoice, {"webo_reminder_paused": False})
        session.execute("account.invoice", "message_post", invoice, body="Note interne")
        session.execute("account.move.line", "write", issued["account.move.line"], {"blocked": True})
        session.execute("account.move.line", "write", issued["account.move.line"], {"blocked": False})
    (record,) = claire.execute("account.invoice", "read", invoice, ["sent", "webo_reminder_paused", "state"])
    assert (record["sent"], record["webo_reminder_paused"], record["state"]) == (True, False, "open")
    # The state follows its reconciliation: a plain write cannot mark it paid.
    with pytest.raises(xmlrpc.client.Fault) as refusal:
        claire.execute("account.invoice", "write", invoice, {"state": "paid"})
    assert refusal.value.faultCode == USER_ERROR
    # A payment still reconciles with it.
    claire.execute("account.invoice", "webo_register_payment", invoice, 100.0)
    (record,) = claire.execute("account.invoice", "read", invoice, ["residual", "webo_state"])
    assert (record["residual"], record["webo_state"]) == (400.0, "partial")


def test_a_credit_note_cancels_it_and_is_itself_issued(claire, new_client):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    credit_note = claire.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    (record,) = claire.execute("account.invoice", "read", [credit_note], ["number"])
    with pytest.raises(xmlrpc.client.Fault) as refusal:
        claire.execute("account.invoice", "write", [credit_note], {"amount_total": 1.0})
    assert "Avoir %s" % record["number"] in refusal.value.faultString


# Proof of integrity -------------------------------------------------------------


@pytest.fixture()
def database_connection(database):
    connection = psycopg2.connect(dbname=database)
    connection.autocommit = True
    try:
        yield connection
    finally:
        connection.close()


def test_integrity_check_finds_an_amount_changed_in_the_database(claire, admin, issued, database_connection):
    report = claire.execute("webo.integrity.check", "webo_check_integrity")
    assert report["intact"] is True, report["report"]
    assert report["entries"] >= 1 and report["altered"] == [] and report["missing"] == []
    assert "Intègre" in report["report"]
    assert admin.execute("webo.integrity.check", "webo_check_integrity")["intact"] is True

    move = issued["account.move"][0]
    (item,) = claire.execute("account.move.line", "search_read", [("move_id", "=", move), ("debit", ">", 0)],
                             ["debit"])
    with database_connection.cursor() as cursor:
        cursor.execute("UPDATE account_move_line SET debit = debit + 1000 WHERE id = %s", [item["id"]])
    try:
        report = claire.execute("webo.integrity.check", "webo_check_integrity")
        assert report["intact"] is False
        (name,) = claire.execute("account.move", "read", [move], ["name"])
        assert [entry["name"] for entry in report["altered"]] == [name["name"]]
        assert "ALTÉRÉ" in report["report"] and name["name"] in report["report"]
        (company,) = claire.execute("res.users", "read", [claire.uid], ["company_id"])
        # The platform operator checks any workspace's books.
        by_operator = admin.execute("webo.integrity.check", "webo_check_integrity", company["company_id"][0])
        assert by_operator["intact"] is False
    finally:
        with database_connection.cursor() as cursor:
            cursor.execute("UPDATE account_move_line SET debit = debit - 1000 WHERE id = %s", [item["id"]])
    assert claire.execute("webo.integrity.check", "webo_check_integrity")["intact"] is True


def test_a_designer_checks_only_their_books(claire, julien):
    (company,) = julien.execute("res.users", "read", [julien.uid], ["company_id"])
    with pytest.raises(xmlrpc.client.Fault) as refusal:
        claire.execute("webo.integrity.check", "webo_check_integrity", company["company_id"][0])
    assert refusal.value.faultCode == 4
    assert isinstance(datetime.datetime.strptime(
        claire.execute("webo.integrity.check", "webo_check_integrity")["checked_at"], "%Y-%m-%d %H:%M:%S"),
        datetime.datetime)
