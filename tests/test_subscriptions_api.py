"""Subscriptions over XML-RPC, from a separate process, against a real server.

A monthly invoice of the wizard starts a subscription; the designer modifies,
duplicates and stops it; the platform operator runs the monthly batch for a
given date and the invoices arrive at a real SMTP server. The batch is then
killed (SIGKILL, a second real server process) in the middle of a run over
many due periods, and run again: every due period ends up invoiced exactly
once, none skipped.
"""
import datetime
import os
import signal
import sys
import threading
import time
import xmlrpc.client

import pytest
from test_invoicing_api import (
    ACCESS_ERROR,
    USER_ERROR,
    assert_fault,
    assert_pdf_of,
    mail_to,
)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "runtime"))
from odoo_process import OdooServer

SUBSCRIPTION_FIELDS = ["name", "state", "billing_day", "next_period", "next_invoice_date",
                       "amount_untaxed", "invoice_ids", "predecessor_id", "successor_ids"]


def months_ago(months, day):
    """The ``day`` (clamped) of the month ``months`` before this one."""
    today = datetime.date.today()
    index = today.year * 12 + today.month - 1 - months
    year, month = divmod(index, 12)
    return datetime.date(year, month + 1, min(day, 28))


def read_subscription(session, subscription):
    (record,) = session.execute("webo.subscription", "read", [subscription], SUBSCRIPTION_FIELDS)
    return record


def test_subscription_lifecycle_over_xmlrpc(claire, julien, admin, new_client, outbox):
    client, address = new_client()
    today = datetime.date.today()
    # "Créer une facture" with a monthly recurrence: period 1, sent now.
    wizard = claire.execute("webo.invoice.wizard", "create", {
        "name": "Hébergement et maintenance", "partner_id": client,
        "date_invoice": today.isoformat(),
        "date_due": (today + datetime.timedelta(days=15)).isoformat(),
        "recurrence": "monthly",
        "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 40.0})]})
    first = claire.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
    (invoice,) = claire.execute("account.invoice", "read", [first],
                                ["webo_subscription_id", "webo_subscription_period"])
    subscription = invoice["webo_subscription_id"][0]
    assert invoice["webo_subscription_period"] == 1
    record = read_subscription(claire, subscription)
    assert record["state"] == "running" and record["next_period"] == 2
    assert record["invoice_ids"] == [first]

    # Modifier: a new amount and billing day from the next period on.
    claire.execute("webo.subscription", "webo_modify", [subscription], {
        "billing_day": 1, "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 55.0})]})
    record = read_subscription(claire, subscription)
    assert record["billing_day"] == 1 and record["amount_untaxed"] == 55.0
    next_date = record["next_invoice_date"]
    assert next_date[8:] == "01" and next_date > today.isoformat()

    # The operator's run today: nothing is due yet for it (next month).
    assert admin.execute("webo.subscription", "webo_run", date=today.isoformat()) >= 0
    assert read_subscription(claire, subscription)["invoice_ids"] == [first]

    # A subscription that started on the 1st of last month: the run catches
    # up, each invoice dated today and stating the month it bills, emailed.
    started = claire.execute("webo.subscription", "webo_create", {
        "name": "Sauvegardes", "partner_id": client, "date_start": months_ago(1, 1).isoformat(),
        "line_ids": [(0, 0, {"name": "Sauvegardes", "quantity": 1, "price_unit": 55.0})]})
    outbox.collect()
    assert admin.execute("webo.subscription", "webo_run") >= 2
    record = read_subscription(claire, started)
    issued = claire.execute("account.invoice", "read", sorted(record["invoice_ids"]), [
        "number", "state", "date_invoice", "amount_total", "webo_subscription_period",
        "webo_period_start"])
    assert [row["webo_subscription_period"] for row in issued] == [1, 2]
    assert [row["webo_period_start"] for row in issued] == [months_ago(1, 1).isoformat(),
                                                            months_ago(0, 1).isoformat()]
    assert all(row["state"] == "open" and row["date_invoice"] == today.isoformat()
               and row["amount_total"] == 55.0 for row in issued), issued
    received = mail_to(outbox.collect(), address)
    assert sorted(mail.subject for mail in received) == sorted(
        mail.subject for mail in received if any(row["number"] in mail.subject for row in issued))
    assert len(received) == 2
    assert_pdf_of(next(mail for mail in received if issued[1]["number"] in mail.subject), issued[1]["number"])
    admin.execute("webo.subscription", "webo_run")
    assert read_subscription(claire, started)["invoice_ids"] == record["invoice_ids"], "once"
    claire.execute("webo.subscription", "webo_stop", [started])

    # Dupliquer a running one: a new running subscription.
    copy = claire.execute("webo.subscription", "webo_duplicate", [subscription])
    assert read_subscription(claire, copy)["state"] == "running"
    assert read_subscription(claire, copy)["predecessor_id"] is False

    # Arrêter, then Dupliquer resumes it as its linked successor.
    assert claire.execute("webo.subscription", "webo_stop", [subscription]) is True
    assert admin.execute("webo.subscription", "webo_run") >= 0
    record = read_subscription(claire, subscription)
    assert record["state"] == "stopped" and record["invoice_ids"] == [first], "no invoice once stopped"
    successor = claire.execute("webo.subscription", "webo_duplicate", [subscription])
    assert read_subscription(claire, successor)["predecessor_id"][0] == subscription
    assert read_subscription(claire, subscription)["successor_ids"] == [successor]
    claire.execute("webo.subscription", "webo_stop", [copy, successor])

    # Refusals, in French, nothing written.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.subscription", "webo_modify", [subscription], {"billing_day": 3})
    assert_fault(refused, "est arrêté", code=USER_ERROR)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.subscription", "webo_duplicate", [subscription])
    assert_fault(refused, "a déjà été repris", code=USER_ERROR)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.subscription", "webo_create", {
            "name": "Jour impossible", "partner_id": client, "date_start": today.isoformat(),
            "billing_day": 32, "line_ids": [(0, 0, {"name": "x", "quantity": 1, "price_unit": 9.0})]})
    assert_fault(refused, "entre 1 et 31")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.subscription", "webo_create", {
            "name": "Gratuit", "partner_id": client, "date_start": today.isoformat(),
            "line_ids": [(0, 0, {"name": "x", "quantity": 1, "price_unit": 0.0})]})
    assert_fault(refused, "au-dessus de zéro")
    assert claire.execute("webo.subscription", "search_count",
                          [("name", "in", ["Jour impossible", "Gratuit"])]) == 0
    for method, args in (("webo_stop", []), ("webo_duplicate", []), ("webo_modify", [{"billing_day": 2}]),
                         ("read", [["name"]])):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            julien.execute("webo.subscription", method, [copy], *args)
        assert_fault(refused, code=ACCESS_ERROR)
    assert julien.execute("webo.subscription", "search", [("id", "=", copy)]) == []
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("webo.subscription", "webo_run", date=today.isoformat())
    assert_fault(refused, "opérateur", code=USER_ERROR)


def test_a_run_killed_half_way_then_run_again_invoices_each_period_once(
        claire, admin, new_client, database, output_dir, outbox):
    """Six subscriptions four months behind: 6 x 5 due periods, two per
    committed batch. A second server process runs the batch and is killed
    with SIGKILL once a few batches are committed; a second run finishes."""
    client, _address = new_client()
    subscriptions = [
        claire.execute("webo.subscription", "webo_create", {
            "name": "Maintenance mensuelle %d" % index, "partner_id": client,
            "date_start": months_ago(4, 1).isoformat(),
            "line_ids": [(0, 0, {"name": "Maintenance", "quantity": 1, "price_unit": 20.0 + index})]})
        for index in range(6)]
    expected = 6 * 5

    def invoices():
        return claire.execute("account.invoice", "search_read",
                              [("webo_subscription_id", "in", subscriptions)],
                              ["webo_subscription_id", "webo_subscription_period", "date_invoice",
                               "webo_period_start", "state"])

    log = output_dir / "odoo-server-killed.log"
    log.unlink(missing_ok=True)
    runner = OdooServer(database, str(log), extra_args=["--max-cron-threads=0"])
    runner.start()
    outcome = {}

    def run_batch():
        rpc = xmlrpc.client.ServerProxy(runner.url + "/xmlrpc/2/object", allow_none=True)
        try:
            outcome["result"] = rpc.execute_kw(database, admin.uid, admin.password,
                                               "webo.subscription", "webo_run", [],
                                               {"batch_size": 2})
        except (ConnectionError, xmlrpc.client.ProtocolError, OSError) as error:
            outcome["error"] = error

    thread = threading.Thread(target=run_batch)
    try:
        thread.start()
        deadline = time.monotonic() + 240
        while len(invoices()) < 6 and time.monotonic() < deadline:
            time.sleep(0.2)
        os.killpg(runner.process.pid, signal.SIGKILL)
        runner.process.wait(30)
    finally:
        runner.stop()
        thread.join(60)
    assert "result" not in outcome, "the run finished before it was killed: %s" % outcome
    after_kill = invoices()
    assert 6 <= len(after_kill) < expected, len(after_kill)

    # The second run (on the session's server) picks up where the first stopped.
    assert admin.execute("webo.subscription", "webo_run", batch_size=2) >= expected - len(after_kill)
    final = invoices()
    periods = sorted((row["webo_subscription_id"][0], row["webo_subscription_period"]) for row in final)
    assert periods == sorted((subscription, period) for subscription in subscriptions
                             for period in range(1, 6)), "each due period invoiced exactly once"
    assert all(row["state"] == "open" for row in final)
    assert {row["date_invoice"] for row in final} == {datetime.date.today().isoformat()}, "dated when issued"
    for index, subscription in enumerate(subscriptions):
        periods = sorted(row["webo_period_start"] for row in final
                         if row["webo_subscription_id"][0] == subscription)
        assert periods == [months_ago(4 - month, 1).isoformat() for month in range(5)], index
    claire.execute("webo.subscription", "webo_stop", subscriptions)
    outbox.collect()
