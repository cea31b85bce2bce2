"""The mail server down while the monthly run sends its invoices.

On the benchmark's fresh database (demo data), INVOICES subscriptions
(default 500, ``WEBO_BENCH_INVOICES``) of the demo's two workspaces, 20
clients each with a billing contact, all due today. A real Odoo server
(threaded, one cron thread: Odoo's mail queue job runs every minute, as in
production) sends its mail to a real SMTP server on loopback
(``runtime/fault_smtp.py``) that is down (connection refused) for the
first OUTAGE seconds (default 120, ``WEBO_BENCH_OUTAGE_S``) and accepts
afterwards. The monthly run (``webo.subscription.webo_run``, the daily
job's) is started over XML-RPC at the start of the outage.

Measured from what the SMTP server received, against the invoice emails
the database holds (their Message-Id): delivered (each invoice email
received at least once), lost (never received within DEADLINE minutes of
the server's return), duplicated (received more than once), and
minutes_to_deliver_all (from the server's return to the last first
delivery). After the last delivery the benchmark waits two more runs of
the mail queue for a late duplicate (not in a tiny run). Goal: delivered = INVOICES, lost = 0,
duplicated = 0, all within 10 minutes of the server's return.

Output: a few lines, then ``RESULT delivered=.. lost=.. duplicated=..
minutes_to_deliver_all=.. run_s=..``. The database is throw-away.
"""
import collections
import datetime
import os
import subprocess
import sys
import threading
import time
import xmlrpc.client

from fault_smtp import FaultSmtpServer
from webo_bench import REPO, load_odoo, open_sales_services, size

from odoo_process import OdooServer

INVOICES = size("WEBO_BENCH_INVOICES", 500, 4)
OUTAGE_S = size("WEBO_BENCH_OUTAGE_S", 120.0, 5.0)
DEADLINE_MIN = size("WEBO_BENCH_DEADLINE_MIN", 20, 4)
# After the last delivery: two more runs of the mail queue (one a minute).
LATE_DUPLICATE_S = size("WEBO_BENCH_LATE_DUPLICATE_S", 130, 0)
CLIENTS = size("WEBO_BENCH_CLIENTS", 20, 2)  # per workspace
PRICE = 30.0


def setup(database, today):
    """The subscriptions, due today; no email queued yet from the demo."""
    odoo = load_odoo(database)
    started = time.perf_counter()
    with odoo.api.Environment.manage(), odoo.registry(database).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        env["mail.mail"].search([]).unlink()
        open_sales_services(env)
        workspaces = env["res.company"].search([("webo_workspace", "=", True)])
        designers = env["res.users"].search([("login", "in", ["claire", "julien"])])
        per_workspace = INVOICES // len(designers)
        for designer in designers:
            workspace = designer.company_id
            clients = env["res.partner"]
            for number in range(CLIENTS):
                clients |= env["res.partner"].create({
                    "name": "Client panne %d-%d" % (workspace.id, number), "is_company": True,
                    "customer": True, "company_id": workspace.id, "lang": "fr_FR",
                    "child_ids": [(0, 0, {
                        "type": "invoice", "name": "Comptabilité", "company_id": workspace.id,
                        "email": "compta-%d-%d@example.org" % (workspace.id, number)})]})
            subscriptions = env["webo.subscription"].sudo(designer).with_context(tracking_disable=True)
            for number in range(per_workspace):
                subscriptions.create({
                    "name": "Hébergement %d" % number, "partner_id": clients[number % CLIENTS].id,
                    "date_start": today,
                    "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": PRICE})]})
            cr.commit()
        total = per_workspace * len(designers)
    print("set-up: %d subscriptions due today in %d workspaces (%.0f s)"
          % (total, len(workspaces & designers.mapped("company_id")), time.perf_counter() - started))
    return total


def psql(database, sql):
    return subprocess.run(["psql", "-X", "-q", "-tA", "-d", database, "-c", sql], check=True,
                          capture_output=True, text=True).stdout


def invoice_emails(database, since):
    """The Message-Ids of the run's invoice emails (of the invoices after
    ``since``: not the demo's, whose emails the set-up dropped)."""
    output = psql(database, """
        SELECT m.message_id FROM mail_message m
          JOIN account_invoice i ON i.id = m.res_id AND m.model = 'account.invoice'
          JOIN ir_model_data d ON d.model = 'mail.message.subtype' AND d.res_id = m.subtype_id
         WHERE d.module = 'webo_sale' AND d.name = 'mt_invoice_sent'
           AND i.webo_subscription_id IS NOT NULL AND i.id > %d""" % since)
    return set(output.split())


def main():
    database = os.environ["WEBO_BENCH_DB"]
    today = datetime.date.today().isoformat()
    total = setup(database, today)
    since = int(psql(database, "SELECT coalesce(max(id), 0) FROM account_invoice"))
    smtp = FaultSmtpServer().start()
    smtp.set_mode("down")
    log = os.path.join(REPO, "test-output", "bench-mail-outage-server.log")
    server = OdooServer(database, log, extra_args=[
        "--smtp=127.0.0.1", "--smtp-port=%d" % smtp.port, "--max-cron-threads=1",
        "--log-handler=odoo.addons.webo_sale.models.webo_subscription:INFO"])
    psql(database, "DELETE FROM ir_config_parameter WHERE key = 'report.url';"
                   "INSERT INTO ir_config_parameter (key, value) VALUES ('report.url', '%s');"
                   "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' WHERE id = ("
                   " SELECT res_id FROM ir_model_data WHERE module = 'mail'"
                   " AND name = 'ir_cron_mail_scheduler_action')" % server.url)
    server.start()
    try:
        return measure(server, smtp, database, today, total, since)
    finally:
        server.stop()
        smtp.stop()


def measure(server, smtp, database, today, total, since):
    common = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common")
    uid = common.authenticate(database, "admin", "admin", {})
    run = {}

    def monthly_run():
        started = time.monotonic()
        models = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/object")
        run["issued"] = models.execute_kw(database, uid, "admin", "webo.subscription", "webo_run",
                                          [], {"date": today})
        run["seconds"] = time.monotonic() - started

    started = time.monotonic()
    thread = threading.Thread(target=monthly_run, daemon=True)
    thread.start()
    print("monthly run started; the SMTP server refuses connections for %.0f s" % OUTAGE_S)
    time.sleep(OUTAGE_S)
    smtp.set_mode("accept")
    back = time.monotonic()
    print("SMTP server back after %.0f s; %d invoice emails queued so far"
          % (back - started, len(invoice_emails(database, since))))
    deadline = back + DEADLINE_MIN * 60
    last_progress = 0
    while time.monotonic() < deadline:
        expected = invoice_emails(database, since)
        first = {}
        for mail in smtp.received():
            first.setdefault(mail.message_id, mail.at)
        delivered = expected & set(first)
        if len(delivered) != last_progress:
            last_progress = len(delivered)
            print("%5.1f min after the return: %d/%d delivered" % (
                (time.monotonic() - back) / 60, len(delivered), total))
        if not thread.is_alive() and len(expected) >= total and delivered == expected:
            break
        time.sleep(5)
    thread.join(1)
    expected = invoice_emails(database, since)
    last_first = max((first[message_id] for message_id in expected if message_id in first), default=back)
    # Two more runs of the mail queue: any email sent twice shows now.
    time.sleep(LATE_DUPLICATE_S)
    counts = collections.Counter(mail.message_id for mail in smtp.received())
    delivered = sum(1 for message_id in expected if counts[message_id])
    duplicated = sum(counts[message_id] - 1 for message_id in expected if counts[message_id] > 1)
    states = psql(database, "SELECT webo_email_state, count(*) FROM account_invoice "
                            "WHERE webo_subscription_id IS NOT NULL AND id > %d GROUP BY 1" % since)
    print("monthly run: %s invoices in %.0f s" % (run.get("issued"), run.get("seconds", float("nan"))))
    print("invoices' email states: %s" % " ".join(states.split()))
    print("RESULT delivered=%d lost=%d duplicated=%d minutes_to_deliver_all=%.1f run_s=%.0f" % (
        delivered, total - delivered, duplicated, (last_first - back) / 60,
        run.get("seconds", float("nan"))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
