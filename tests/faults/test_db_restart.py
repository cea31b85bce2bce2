"""PostgreSQL restarted (``pg_ctlcluster ... restart``, fast: every
connection cut, open transactions rolled back) during the monthly run, the
reminders run and a burst of purchases and payments. The runs resume on
the next tick with nothing doubled or skipped; requests in flight fail
cleanly, and a caller repeating them with the same idempotency key gets
the same result: no double purchase, no double payment."""
import collections
import datetime
import threading

import psycopg2
from faultkit import assert_gapless, in_background, new_client, overdue, send_invoice, tag, wait_for

# Prefork workers, as in production.
WORKERS = 2


def cron(db, name):
    return db.xmlid("webo_sale", name)


def test_the_monthly_run_resumes_after_a_restart(fault_cluster, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer)
    today = datetime.date.today().isoformat()
    subscriptions = [designer.execute("webo.subscription", "webo_create", {
        "name": "Hébergement %d" % number, "partner_id": client_id, "date_start": today,
        "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 20.0})]})
        for number in range(24)]

    def invoiced():
        return fault_db.value("SELECT count(*) FROM account_invoice WHERE webo_subscription_id = ANY(%s)",
                              (subscriptions,))

    thread, outcome = in_background(operator.execute, "webo.subscription", "webo_run",
                                    date=today, batch_size=3)
    wait_for(lambda: invoiced() >= 6, timeout=600, what="two batches committed")
    fault_cluster.restart()
    thread.join(600)
    assert "error" in outcome, "the restart must cut the run in the middle (it ended first: %s)" % outcome
    before = invoiced()
    assert 6 <= before < len(subscriptions), "the committed batches are kept, the rest waits"

    # The next tick of the daily job.
    job = cron(fault_db, "ir_cron_webo_subscription_invoice")
    operator.retrying("ir.cron", "method_direct_trigger", [job])
    rows = fault_db.rows("""
        SELECT s.id, s.next_period, count(i.id), min(i.webo_subscription_period)
          FROM webo_subscription s LEFT JOIN account_invoice i ON i.webo_subscription_id = s.id
         WHERE s.id = ANY(%s) GROUP BY s.id""", (subscriptions,))
    assert sorted((next_period, count, period) for _id, next_period, count, period in rows) == \
        [(2, 1, 1)] * len(subscriptions), "each period invoiced once, none skipped"
    invoices = [row[0] for row in fault_db.rows(
        "SELECT id FROM account_invoice WHERE webo_subscription_id = ANY(%s)", (subscriptions,))]
    per_invoice = fault_db.rows("""
        SELECT i.id,
               (SELECT count(*) FROM ir_attachment a WHERE a.res_model = 'account.invoice'
                   AND a.res_id = i.id AND a.mimetype = 'application/pdf'),
               (SELECT count(*) FROM mail_mail mm JOIN mail_message m ON m.id = mm.mail_message_id
                 WHERE m.model = 'account.invoice' AND m.res_id = i.id)
          FROM account_invoice i WHERE i.id = ANY(%s)""", (invoices,))
    assert {(pdfs, mails) for _id, pdfs, mails in per_invoice} == {(1, 1)}, \
        "each with its legal PDF and one email queued"
    assert_gapless(fault_db)


def test_the_reminders_run_resumes_after_a_restart(fault_cluster, fault_db, designer, operator):
    client_id, _contact, _address = new_client(designer)
    late = [send_invoice(designer, client_id, "Maintenance %d" % number) for number in range(6)]
    overdue(fault_db, late, days_late=30)
    # The run is held in the middle of its batch (its reminders being
    # written), then PostgreSQL restarts.
    blocker = psycopg2.connect(fault_db.cluster.dsn(fault_db.name))
    blocker.cursor().execute("LOCK TABLE webo_invoice_reminder IN SHARE MODE")
    thread, outcome = in_background(designer.execute, "account.invoice", "webo_run_reminders")
    wait_for(lambda: fault_db.value(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        (fault_db.name,)), what="the run waiting in the middle of its batch")
    fault_cluster.restart()
    thread.join(300)
    assert "error" in outcome, outcome
    assert fault_db.value("SELECT count(*) FROM webo_invoice_reminder WHERE invoice_id = ANY(%s)",
                          (late,)) == 0, "nothing half-written"

    operator.retrying("ir.cron", "method_direct_trigger", [cron(fault_db, "ir_cron_webo_invoice_reminders")])
    operator.retrying("ir.cron", "method_direct_trigger", [cron(fault_db, "ir_cron_webo_invoice_reminders")])
    rows = fault_db.rows("""
        SELECT r.invoice_id, count(*), count(DISTINCT mm.id)
          FROM webo_invoice_reminder r
          JOIN mail_mail mm ON mm.mail_message_id = r.message_id
         WHERE r.invoice_id = ANY(%s) GROUP BY r.invoice_id""", (late,))
    assert sorted((count, mails) for _id, count, mails in rows) == [(1, 1)] * len(late), \
        "each late invoice reminded once, by one email"


def test_a_burst_of_purchases_across_a_restart_buys_each_once(fault_cluster, fault_db, designer, operator):
    (service,) = operator.execute("webo.sale.service", "search",
                                  [("company_id.name", "=", "Atelier Claire Martin")])
    operator.execute("webo.sale.service", "write", [service], {"purchase_ceiling_override": 100000.0})
    (hosting,) = designer.execute("product.product", "search", [("name", "=", "Hébergement")])
    prefix = "achat-%s" % tag()
    answers, failures = {}, collections.Counter()

    # Long enough that the restart, once the first orders are in, lands in
    # the middle of the burst, however fast the purchases go.
    def buyer(thread_number):
        for number in range(15):
            key = "%s-%d-%d" % (prefix, thread_number, number)
            order_id, failed = designer.retrying(
                "webo.purchase.order", "webo_buy", [{"product_id": hosting, "quantity": 1}],
                payment_method="deferred", accept_terms=True, idempotency_key=key)
            answers[key] = order_id
            failures.update(failed)

    threads = [threading.Thread(target=buyer, args=(number,), daemon=True) for number in range(6)]
    for thread in threads:
        thread.start()
    wait_for(lambda: fault_db.value("SELECT count(*) FROM webo_purchase_order WHERE idempotency_key LIKE %s",
                                    (prefix + "%",)) >= 4, what="the first purchases")
    fault_cluster.restart()
    for thread in threads:
        thread.join(600)
    assert len(answers) == 90, "every purchase answered in the end"
    assert failures["connection"] > 0, "the restart cut requests in flight: %s" % failures
    orders = dict(fault_db.rows("SELECT idempotency_key, id FROM webo_purchase_order "
                                "WHERE idempotency_key LIKE %s", (prefix + "%",)))
    assert orders == answers, "one order per purchase, the one its caller was given"
    lines = fault_db.value("""SELECT count(*) FROM webo_purchase_order_line l JOIN webo_purchase_order o
                                ON o.id = l.order_id WHERE o.idempotency_key LIKE %s""", (prefix + "%",))
    assert lines == len(answers), "one line per order"


def test_a_burst_of_payments_across_a_restart_pays_each_once(fault_cluster, fault_db, designer):
    client_id, _contact, _address = new_client(designer)
    invoices = [send_invoice(designer, client_id, "Refonte %d" % number, amount=300.0)
                for number in range(5)]
    prefix = "cheque-%s" % tag()
    answers, failures = {}, collections.Counter()

    def payer(invoice_id):
        for number in range(3):
            key = "%s-%d-%d" % (prefix, invoice_id, number)
            payment_id, failed = designer.retrying("account.invoice", "webo_register_payment",
                                                   [invoice_id], 50.0, idempotency_key=key)
            answers[key] = payment_id
            failures.update(failed)

    threads = [threading.Thread(target=payer, args=(invoice_id,), daemon=True) for invoice_id in invoices]
    for thread in threads:
        thread.start()
    wait_for(lambda: fault_db.value("SELECT count(*) FROM account_payment WHERE webo_idempotency_key LIKE %s",
                                    (prefix + "%",)) >= 3, what="the first payments")
    fault_cluster.restart()
    for thread in threads:
        thread.join(600)
    assert len(answers) == 15
    assert failures["connection"] > 0, "the restart cut requests in flight: %s" % failures
    payments = dict(fault_db.rows("SELECT webo_idempotency_key, id FROM account_payment "
                                  "WHERE webo_idempotency_key LIKE %s", (prefix + "%",)))
    assert payments == answers, "one payment per call, the one its caller was given"
    residuals = fault_db.rows("SELECT residual FROM account_invoice WHERE id = ANY(%s)", (invoices,))
    assert sorted(float(residual) for (residual,) in residuals) == [150.0] * 5, "paid 3 x 50 each, once"
