"""Every documented method checks what it is given (docs/xmlrpc.rst).

Bad input over XML-RPC, as an integrator's script sends it: a missing
argument, a string where an id goes, a date that does not exist, a dict as
a name, an unknown choice... Each is refused with a French message
(``faultCode`` 2, or 4 for another workspace's records), no Python
exception name, no SQL, and nothing is written."""
import datetime
import uuid
import xmlrpc.client

import pytest
from conftest import run_cron
from test_invoicing_api import LINE, USER_ERROR, dates, send_invoice

LEAKS = ("Traceback", "psycopg2", "Error", 'File "', "SQL", "column", "violates")
# What a refused call must leave as it was, per session.
COUNTED = ("account.invoice", "account.payment", "webo.subscription", "webo.reminder.level",
           "webo.purchase.order", "webo.invoice.wizard.line")


def today(days=0):
    return (datetime.date.today() + datetime.timedelta(days=days)).isoformat()


def counts(session):
    counted = {model: session.execute(model, "search_count", []) for model in COUNTED}
    counted["res.partner"] = session.execute("res.partner", "search_count", [],
                                             context={"active_test": False})
    return counted


def assert_refused(session, model, method, *args, fragment=None, codes=(USER_ERROR,), **kwargs):
    """The call is refused in French, leaks nothing and writes nothing;
    returns the message."""
    before = counts(session)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        session.execute(model, method, *args, **kwargs)
    fault = refused.value
    assert fault.faultCode in codes, fault.faultString
    assert not any(leak in fault.faultString for leak in LEAKS), fault.faultString
    if fragment:
        assert fragment in fault.faultString, fault.faultString
    assert counts(session) == before, "nothing written"
    return fault.faultString


@pytest.fixture(scope="module")
def client(claire, admin, smtp_routing):
    """A client of claire's with a billing contact, archived at the end,
    once its emails are sent (Odoo fails the mail of an archived recipient)."""
    tag = uuid.uuid4().hex[:8]
    partner = claire.execute("res.partner", "create", {
        "name": "Client contrat API %s" % tag, "is_company": True, "customer": True,
        "child_ids": [(0, 0, {"type": "invoice", "name": "Compta", "email": "api-%s@example.org" % tag})]})
    yield partner
    run_cron(admin, "mail", "ir_cron_mail_scheduler_action")
    family = claire.execute("res.partner", "search", [("id", "child_of", [partner])])
    claire.execute("res.partner", "write", family, {"active": False})


@pytest.fixture(scope="module")
def invoice(claire, client):
    return send_invoice(claire, client)


@pytest.fixture(scope="module")
def subscription(claire, client):
    subscription = claire.execute("webo.subscription", "webo_create", {
        "name": "Hébergement", "partner_id": client, "date_start": today(20),
        "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 30.0})]})
    yield subscription
    claire.execute("webo.subscription", "webo_stop", [subscription])


def wizard_values(client, **values):
    date_invoice, date_due = dates()
    return dict({"name": "Site vitrine", "partner_id": client, "date_invoice": date_invoice,
                 "date_due": date_due, "line_ids": [(0, 0, dict(LINE))]}, **values)


# Invoices ------------------------------------------------------------------------


@pytest.mark.parametrize("values, fragment", [
    ({"partner_id": None}, "partner_id"),
    ({"partner_id": "abc"}, "nombre entier"),
    ({"partner_id": 987654321}, "987654321"),
    ({"date_invoice": "2026-13-45"}, "n'est pas une date"),
    ({"date_due": "demain"}, "n'est pas une date"),
    ({"recurrence": "weekly"}, "weekly"),
    ({"name": {"a": 1}}, "texte"),
    ({"name": ""}, "texte"),
    ({"name": "   "}, "texte"),
    ({"line_ids": "abc"}, "commandes"),
    ({"line_ids": [(0, 0, dict(LINE, name=""))]}, "texte"),
    ({"line_ids": [(0, 0, dict(LINE, quantity="x"))]}, "nombre"),
    ({"line_ids": [(0, 0, dict(LINE, tax_ids=[(6, 0, ["abc"])]))]}, "nombre entier"),
    ({"foo": 1}, "foo"),
], ids=lambda value: str(value)[:40])
def test_wizard_create_refuses_bad_values(claire, client, values, fragment):
    vals = wizard_values(client, **values)
    if values.get("partner_id", 0) is None:
        del vals["partner_id"]
    assert_refused(claire, "webo.invoice.wizard", "create", vals, fragment=fragment)


def test_wizard_refuses_another_workspace_s_tax_and_journal(claire, julien, client, invoice):
    (tax,) = julien.execute("account.tax", "search", [("type_tax_use", "=", "sale"), ("amount", "=", 20)],
                            limit=1)
    assert_refused(claire, "webo.invoice.wizard", "create",
                   wizard_values(client, line_ids=[(0, 0, dict(LINE, tax_ids=[(6, 0, [tax])]))]),
                   fragment="autre espace")
    (journal,) = julien.execute("account.journal", "search", [("type", "=", "bank")], limit=1)
    assert_refused(claire, "account.invoice", "webo_register_payment", [invoice], 10.0,
                   journal_id=journal, fragment="journal")


@pytest.mark.parametrize("case", ["zero quantity", "negative quantity", "future date",
                                  "before the last issued invoice"])
def test_wizard_send_refuses_what_cannot_be_issued(claire, client, invoice, case):
    values, fragment = {}, None
    if case == "zero quantity":
        values, fragment = {"line_ids": [(0, 0, dict(LINE, quantity=0))]}, "quantité"
    elif case == "negative quantity":
        values, fragment = {"line_ids": [(0, 0, dict(LINE, quantity=-2))]}, "quantité"
    elif case == "future date":
        values, fragment = {"date_invoice": today(1), "date_due": today(31)}, "n'est pas permise"
    else:
        # ``invoice`` was issued today in claire's sales journal.
        values, fragment = {"date_invoice": today(-1)}, "n'est pas permise"
    wizard = claire.execute("webo.invoice.wizard", "create", wizard_values(client, **values))
    message = assert_refused(claire, "webo.invoice.wizard", "action_send", [wizard], fragment=fragment)
    if case == "before the last issued invoice":
        assert datetime.date.today().strftime("%d/%m/%Y") in message, "the allowed range is stated"


@pytest.mark.parametrize("args, kwargs, fragment", [
    (["abc"], {}, "nombres entiers"),
    ([["abc"]], {}, "nombres entiers"),
    ([[987654321]], {}, "987654321"),
    ([[]], {}, "exactement un"),
    ([[1]], {"extra": 1}, "arguments"),
], ids=["string", "string id", "unknown id", "none", "unknown keyword"])
def test_wizard_actions_refuse_bad_ids(claire, args, kwargs, fragment):
    assert_refused(claire, "webo.invoice.wizard", "action_send", *args, fragment=fragment, **kwargs)


@pytest.mark.parametrize("method", ["webo_resend", "webo_cancel_with_credit_note", "webo_facturx_pdf",
                                    "webo_pause_reminders", "webo_resume_reminders"])
def test_invoice_methods_refuse_ids_that_are_not_ids(claire, method):
    assert_refused(claire, "account.invoice", method, "abc", fragment="nombres entiers")
    assert_refused(claire, "account.invoice", method, [True], fragment="nombres entiers")
    assert_refused(claire, "account.invoice", method, [987654321], fragment="987654321")


def test_one_invoice_methods_refuse_several(claire, client, invoice):
    other = send_invoice(claire, client)
    for method in ("webo_cancel_with_credit_note", "webo_facturx_pdf"):
        assert_refused(claire, "account.invoice", method, [invoice, other], fragment="exactement un")
        assert_refused(claire, "account.invoice", method, [], fragment="exactement un")


@pytest.mark.parametrize("args, kwargs, fragment", [
    ([], {}, "amount"),
    (["abc"], {}, "montant"),
    ([{"a": 1}], {}, "montant"),
    ([10.0], {"payment_date": "2026-13-45"}, "n'est pas une date"),
    ([10.0], {"payment_date": "9999-12-31"}, "n'est pas permise"),
    ([10.0], {"payment_date": "2001-01-01"}, "n'est pas permise"),
    ([10.0], {"journal_id": "abc"}, "nombre entier"),
    ([10.0], {"communication": ["x"]}, "texte"),
    ([10.0], {"foo": 1}, "foo"),
    ([10.0], {"amount": 5.0}, "deux fois"),
], ids=["missing amount", "amount string", "amount dict", "bad date", "future date", "before invoice",
        "journal string", "communication list", "unknown keyword", "amount twice"])
def test_register_payment_refuses_bad_arguments(claire, invoice, args, kwargs, fragment):
    assert_refused(claire, "account.invoice", "webo_register_payment", [invoice], *args,
                   fragment=fragment, **kwargs)


@pytest.mark.parametrize("method, args, fragment", [
    ("webo_import_facturx", [], "content"),
    ("webo_import_facturx", [123], "texte"),
    ("webo_import_facturx", ["abc"], "PDF"),
    ("webo_import_facturx", ["JVBERi0=", {"a": 1}], "texte"),
    ("webo_reminders_due", ["2026-13-45"], "n'est pas une date"),
    ("webo_reminders_due", [{"a": 1}], "n'est pas une date"),
    ("webo_run_reminders", ["x"], "n'est pas une date"),
    ("webo_run_reminders", ["9999-12-31"], "à l'avance"),
], ids=lambda value: str(value)[:30])
def test_invoice_model_methods_refuse_bad_arguments(claire, method, args, fragment):
    assert_refused(claire, "account.invoice", method, *args, fragment=fragment)


# Client accounts -----------------------------------------------------------------


@pytest.mark.parametrize("values, fragment", [
    ({"is_company": True, "customer": True}, "nom"),
    ({"name": "", "customer": True}, "nom"),
    ({"name": {"a": 1}, "customer": True}, "texte"),
    ({"name": ["Dupont"], "customer": True}, "texte"),
    ({"name": "Client", "foo": "bar"}, "foo"),
    ({"name": "Client", "country_id": "France"}, "nombre entier"),
    ({"name": "Client", "child_ids": [(0, 0, {"type": "invoice", "email": {"x": 1}})]}, "texte"),
], ids=lambda value: str(value)[:40])
def test_client_creation_refuses_bad_values(claire, values, fragment):
    assert_refused(claire, "res.partner", "create", values, fragment=fragment)


def test_client_methods_refuse_bad_ids(claire):
    for method in ("webo_grant_portal_access", "webo_pause_reminders", "webo_resume_reminders"):
        assert_refused(claire, "res.partner", method, ["x"], fragment="nombres entiers")
    assert_refused(claire, "res.partner", "webo_grant_portal_access", [], fragment="exactement un")


# Subscriptions -------------------------------------------------------------------


def subscription_values(client, **values):
    return dict({"name": "Hébergement", "partner_id": client, "date_start": today(),
                 "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 30.0})]},
                **values)


@pytest.mark.parametrize("values, fragment", [
    ("abc", "dictionnaire"),
    ({}, "partner_id"),
    ({"partner_id": "abc"}, "nombre entier"),
    ({"date_start": "2026-13-45"}, "n'est pas une date"),
    ({"date_start": "9999-12-31"}, "n'est pas permise"),
    ({"date_start": "2001-01-01"}, "n'est pas permise"),
    ({"billing_day": "x"}, "nombre entier"),
    ({"billing_day": 32}, "31"),
    ({"payment_days": 1.5}, "nombre entier"),
    ({"line_ids": [(0, 0, {"name": "Hébergement", "quantity": 0, "price_unit": 30.0})]}, "quantité"),
    ({"line_ids": [(0, 0, {"name": "", "quantity": 1, "price_unit": 30.0})]}, "texte"),
    ({"state": "stopped"}, "state"),
], ids=lambda value: str(value)[:40])
def test_webo_create_refuses_bad_values(claire, client, values, fragment):
    vals = values if not isinstance(values, dict) or not values else subscription_values(client, **values)
    assert_refused(claire, "webo.subscription", "webo_create", vals, fragment=fragment)


@pytest.mark.parametrize("args, fragment", [
    ([], "values"),
    (["abc"], "dictionnaire"),
    ([{"billing_day": "x"}], "nombre entier"),
    ([{"state": "stopped"}], "state"),
    ([{"line_ids": [(0, 0, {"name": "x", "quantity": -1, "price_unit": 10.0})]}], "quantité"),
], ids=lambda value: str(value)[:40])
def test_webo_modify_refuses_bad_values(claire, subscription, args, fragment):
    assert_refused(claire, "webo.subscription", "webo_modify", [subscription], *args, fragment=fragment)


def test_other_subscription_methods_refuse_bad_arguments(claire, admin, subscription):
    assert_refused(claire, "webo.subscription", "webo_duplicate", [subscription], "2026-13-45",
                   fragment="n'est pas une date")
    assert_refused(claire, "webo.subscription", "webo_duplicate", [subscription], date_start=[1],
                   fragment="n'est pas une date")
    assert_refused(claire, "webo.subscription", "webo_duplicate", [subscription], "9999-12-31",
                   fragment="n'est pas permise")
    assert_refused(claire, "webo.subscription", "webo_stop", ["abc"], fragment="nombres entiers")
    for kwargs in ({"date": "2026-13-45"}, {"date": today(1)}, {"batch_size": "x"}, {"batch_size": 0},
                   {"queue": "yes"}, {"job_size": -1}, {"queue": True}, {"foo": 1}):
        assert_refused(admin, "webo.subscription", "webo_run", **kwargs)


# Reminder levels, the service, deferred payment, integrity ------------------------


def test_reminder_level_refuses_bad_values(claire):
    (level,) = claire.execute("webo.reminder.level", "search", [], limit=1)
    assert_refused(claire, "webo.reminder.level", "write", [level], {"days": "x"}, fragment="nombre entier")
    assert_refused(claire, "webo.reminder.level", "create",
                   {"name": "Relance", "days": "x", "subject": "s", "body": "b"}, fragment="nombre entier")


def test_service_methods_refuse_bad_arguments_and_counts_are_whole_numbers(claire):
    service = claire.execute("webo.sale.service", "webo_my_service")
    assert_refused(claire, "webo.sale.service", "webo_synthesis", ["abc"], fragment="nombres entiers")
    assert_refused(claire, "webo.sale.service", "webo_synthesis", [], fragment="exactement un")
    assert_refused(claire, "webo.sale.service", "webo_my_service", extra=1, fragment="arguments")
    figures = claire.execute("webo.sale.service", "webo_synthesis", [service])
    for key in ("paid_count", "unpaid_count", "overdue_count"):
        assert type(figures[key]) is int, (key, figures[key])
    assert_refused(claire, "webo.sale.opening", "webo_open_service", "abc", fragment="dictionnaire")
    assert_refused(claire, "webo.sale.opening", "webo_open_service", {"foo": 1}, fragment="foo")


@pytest.mark.parametrize("args, kwargs, fragment", [
    (["abc"], {"accept_terms": True}, "liste"),
    ([[{"product_id": "abc", "quantity": 1}]], {"accept_terms": True}, "abc"),
    ([[{"product_id": 1, "quantity": 1}]], {"accept_terms": "yes"}, "accept_terms"),
    ([[{"product_id": 1, "quantity": 1}]], {"accept_terms": True, "payment_method": {"a": 1}}, "Paiement"),
    ([], {"accept_terms": True}, "lines"),
], ids=["lines string", "product string", "terms string", "method dict", "missing lines"])
def test_webo_buy_refuses_bad_arguments(claire, args, kwargs, fragment):
    assert_refused(claire, "webo.purchase.order", "webo_buy", *args, fragment=fragment, **kwargs)


def test_integrity_check_refuses_bad_arguments(claire):
    assert_refused(claire, "webo.integrity.check", "webo_check_integrity", "abc", fragment="nombre entier")
    assert_refused(claire, "webo.integrity.check", "webo_check_integrity", 1, company=2, fragment="arguments")
