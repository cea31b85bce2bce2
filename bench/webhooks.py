"""Stripe's signed payment events under load: every invoice paid once.

On the benchmark's fresh database (demo data), the demo's two workspaces
get a Stripe connected account each, the platform its keys (its API at a
closed port: paying needs no call to Stripe) and INVOICES issued invoices
between them, each with the Checkout Session its client opened. Each
invoice is then paid by two events, as Stripe sends them: a card payment's
``checkout.session.completed`` and ``payment_intent.succeeded``, or (one
invoice in four) a SEPA debit's ``checkout.session.completed`` (unpaid
yet) and ``checkout.session.async_payment_succeeded``. Stripe delivers
some events more than once: 10 % of the deliveries are a second delivery
of an event (DUPLICATES), and the deliveries are shuffled (out of order:
the debit's success may come before its submission, a second delivery
before the first). EVENTS deliveries in all (2,000: 900 invoices, 1,800
events, 200 second deliveries), each signed when it is sent as Stripe
signs it, are posted to ``/webo/stripe/webhook`` of a real server
(WORKERS prefork workers, one a core, and its scheduler) by CLIENTS
threads on loopback, a new connection each.

Measured: ``p95_ms``, the 95th percentile of a delivery's answer time as
Stripe sees it; ``drain_s``, the seconds from the last answer until the
scheduled job has processed every event stored (the invoices paid), so
that the work left for later is not hidden. Counted: ``processed`` (the
events stored and processed, from the database), ``not_processed`` (still
waiting or failed when the measure ends), ``duplicates_ignored``
(deliveries answered "duplicate"), ``failed`` (requests answered otherwise than 200, each sent again later as
Stripe does),
``double_paid`` (invoices with more than one payment, or paid more than
their amount, in the books), ``unpaid`` (invoices still owing once drained).

Output: ``RESULT processed=<n> duplicates_ignored=<n> double_paid=<n>
p95_ms=<ms> drain_s=<s> ...``. The database is throw-away.
"""
import datetime
import hashlib
import hmac
import http.client
import json
import os
import random
import statistics
import threading
import time

from webo_bench import REPO, load_odoo, open_sales_services, size, tiny

from odoo_process import OdooServer, free_port

EVENTS = size("WEBO_BENCH_EVENTS", 2000, 20)
DUPLICATES = 0.10
CLIENTS = size("WEBO_BENCH_CLIENTS", 10, 2)
WORKERS = int(os.environ.get("WEBO_BENCH_WORKERS", os.cpu_count() or 2))
# Beyond this, the events left unprocessed are reported, not waited for.
DRAIN_TIMEOUT_S = size("WEBO_BENCH_DRAIN_TIMEOUT_S", 3600.0, 600.0)
# Stripe retries a delivery not answered 200 (for days); here at the end of the run.
RETRIES = 3
SECRET = "whsec_benchWebhooks"
SEED = 19


def prepare(odoo, database):
    """The connected accounts, the keys and the invoices with their
    checkouts: [(checkout id, reference, session id, account, amount in
    cents)]."""
    registry = odoo.registry(database)
    today = datetime.date.today()
    count = (EVENTS - round(EVENTS * DUPLICATES)) // 2
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        # The services are open (their bank journal), then the platform gets its keys.
        open_sales_services(env)
        parameters = env["ir.config_parameter"]
        parameters.set_param("webo_sale.stripe_secret_key", "sk_test_bench")
        parameters.set_param("webo_sale.stripe_webhook_secret", SECRET)
        parameters.set_param("webo_sale.stripe_api_base", "http://127.0.0.1:%d" % free_port())
        checkouts = []
        for index, login in enumerate(("claire", "julien")):
            designer = env["res.users"].search([("login", "=", login)])
            company = designer.company_id
            service = env["webo.sale.service"]._webo_for_company(company)
            account = "acct_bench%s" % login
            service.sudo().stripe_account_id = account
            client = env["res.partner"].search([("company_id", "=", company.id), ("customer", "=", True),
                                                ("parent_id", "=", False)], limit=1)
            journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")],
                                                    limit=1)
            income = env["account.account"].search([("company_id", "=", company.id),
                                                    ("code", "=like", "706%")], limit=1)
            for number in range((count + 1 - index) // 2):
                # One at a time, committed by fifties: hundreds validated in
                # one call take minutes each.
                invoice = env["account.invoice"].sudo(designer).create({
                    "partner_id": client.id, "journal_id": journal.id, "name": "Site %d" % number,
                    "date_invoice": today.isoformat(),
                    "date_due": (today + datetime.timedelta(days=30)).isoformat(),
                    "invoice_line_ids": [(0, 0, {"name": "Création du site", "quantity": 1,
                                                 "price_unit": 100.0 + number, "account_id": income.id})],
                })
                invoice.action_invoice_open()
                checkout = env["webo.stripe.checkout"].create({
                    "invoice_id": invoice.id, "stripe_account_id": account,
                    "session_id": "cs_bench_%d" % invoice.id, "currency_id": invoice.currency_id.id,
                    "amount": invoice.residual, "amount_minor": round(invoice.residual * 100)})
                checkouts.append((checkout.id, checkout.reference, checkout.session_id, account,
                                  checkout.amount_minor))
                if len(checkouts) % 50 == 0:
                    cr.commit()
                    env.clear()
        cr.commit()
    return checkouts


def events_of(checkout, sepa):
    """The two events that pay a checkout, as Stripe sends them."""
    checkout_id, reference, session_id, account, cents = checkout
    metadata = {"webo_checkout": reference}
    intent = "pi_bench_%d" % checkout_id

    def event(kind, obj):
        return {"id": "evt_bench_%d_%s" % (checkout_id, kind.replace(".", "_")), "object": "event",
                "type": kind, "account": account, "created": int(time.time()), "data": {"object": obj}}

    def session(status):
        return {"id": session_id, "object": "checkout.session", "payment_status": status,
                "amount_total": cents, "currency": "eur", "payment_intent": intent, "metadata": metadata}

    if sepa:
        return [event("checkout.session.completed", session("unpaid")),
                event("checkout.session.async_payment_succeeded", session("paid"))]
    return [event("checkout.session.completed", session("paid")),
            event("payment_intent.succeeded", {
                "id": intent, "object": "payment_intent", "amount_received": cents, "currency": "eur",
                "payment_method_types": ["card"], "metadata": metadata})]


def deliveries(checkouts):
    """EVENTS payloads: every event once, DUPLICATES of them twice,
    shuffled; and how many distinct events."""
    rng = random.Random(SEED)
    events = []
    for index, checkout in enumerate(checkouts):
        events += events_of(checkout, sepa=index % 4 == 3)
    unique = events
    posted = unique + rng.sample(unique, EVENTS - len(unique))
    rng.shuffle(posted)
    return [json.dumps(event).encode() for event in posted], len(unique)


def post(port, payload):
    """Sign ``payload`` now, as Stripe does, and post it: (status, body, seconds)."""
    timestamp = int(time.time())
    digest = hmac.new(SECRET.encode(), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", "/webo/stripe/webhook", body=payload, headers={
            "Content-Type": "application/json", "Stripe-Signature": "t=%d,v1=%s" % (timestamp, digest)})
        response = connection.getresponse()
        body = response.read().decode()
        return response.status, body, time.perf_counter() - started
    finally:
        connection.close()


def deliver(port, payloads):
    """Post every payload from CLIENTS threads: [(status, body, seconds)]
    of every request. A delivery not answered 200 is sent again later, as
    Stripe does (after the others here, up to RETRIES times)."""
    results, lock = [], threading.Lock()
    pending = [(payload, 0) for payload in reversed(payloads)]

    def client():
        while True:
            with lock:
                if not pending:
                    return
                payload, tries = pending.pop()
            answer = post(port, payload)
            with lock:
                results.append(answer)
                if answer[0] != 200 and tries < RETRIES:
                    pending.insert(0, (payload, tries + 1))

    threads = [threading.Thread(target=client) for _index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


BOOKS_SQL = """
SELECT inv.id, inv.state, inv.amount_total,
       (SELECT count(*) FROM account_invoice_payment_rel rel
          JOIN account_payment pay ON pay.id = rel.payment_id AND pay.state <> 'cancelled'
         WHERE rel.invoice_id = inv.id),
       (SELECT coalesce(sum(pay.amount), 0) FROM account_invoice_payment_rel rel
          JOIN account_payment pay ON pay.id = rel.payment_id AND pay.state <> 'cancelled'
         WHERE rel.invoice_id = inv.id)
  FROM account_invoice inv JOIN webo_stripe_checkout ch ON ch.invoice_id = inv.id
 WHERE ch.id = ANY(%s)
"""


def books(odoo, database, checkout_ids):
    """(paid once, paid more than once or above their amount, still owing)
    invoices, from the payments booked."""
    with odoo.api.Environment.manage(), odoo.registry(database).cursor() as cr:
        cr.execute(BOOKS_SQL, [checkout_ids])
        rows = cr.fetchall()
    double = [row for row in rows if row[3] > 1 or row[4] > row[2] + 0.005]
    unpaid = [row for row in rows if row[1] != "paid"]
    return len(rows) - len(double) - len(unpaid), len(double), len(unpaid)


def queue(odoo, database):
    """{state: count} of the events stored."""
    with odoo.api.Environment.manage(), odoo.registry(database).cursor() as cr:
        cr.execute("SELECT state, count(*) FROM webo_stripe_event WHERE event_id LIKE 'evt_bench_%%'"
                   " GROUP BY state")
        return dict(cr.fetchall())


# Each event is processed in a transaction of its own, one after the
# other: from one event's write_date (its transaction's start) to the
# next one's is its processing time (gaps between two runs of the job
# left out).
COST_SQL = """
SELECT event_type, count(*), avg(seconds), percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds)
  FROM (SELECT event_type, extract(epoch FROM lead(write_date) OVER (ORDER BY write_date) - write_date)
               AS seconds
          FROM webo_stripe_event WHERE event_id LIKE 'evt_bench_%%' AND state = 'done') AS timed
 WHERE seconds < 10 GROUP BY event_type ORDER BY event_type
"""


def processing_costs(odoo, database):
    """[(event type, events timed, mean s, p95 s)] of the queue's work."""
    with odoo.api.Environment.manage(), odoo.registry(database).cursor() as cr:
        cr.execute(COST_SQL)
        return cr.fetchall()


def drain(odoo, database, checkout_ids):
    """Seconds until no event waits in the queue and every invoice is paid
    (or DRAIN_TIMEOUT_S). The server's scheduled job processes the queue;
    a tiny run does not wait for its next minute and runs it here."""
    started = time.monotonic()
    if tiny():
        with odoo.api.Environment.manage(), odoo.registry(database).cursor() as cr:
            odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["webo.stripe.event"]._webo_process_queue()
    while time.monotonic() - started < DRAIN_TIMEOUT_S:
        _once, _double, unpaid = books(odoo, database, checkout_ids)
        if not unpaid and not queue(odoo, database).get("pending"):
            break
        time.sleep(1)
    return time.monotonic() - started


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    started = time.monotonic()
    checkouts = prepare(odoo, database)
    payloads, unique = deliveries(checkouts)
    print("set-up: %d invoices, %d events, %d deliveries in %.0f s"
          % (len(checkouts), unique, len(payloads), time.monotonic() - started))
    log = os.path.join(REPO, "test-output", "bench-webhooks-server.log")
    if os.path.exists(log):
        os.remove(log)
    server = OdooServer(database, log, extra_args=["--workers=%d" % WORKERS]).start()
    try:
        started = time.monotonic()
        results = deliver(server.port, payloads)
        posting_s = time.monotonic() - started
        drain_s = drain(odoo, database, [checkout[0] for checkout in checkouts])
    finally:
        server.stop()
    answers = {}
    for status, body, _seconds in results:
        answers[(status, body)] = answers.get((status, body), 0) + 1
    durations = sorted(seconds for _status, _body, seconds in results)
    p95 = durations[round(0.95 * (len(durations) - 1))] * 1000
    once, double, unpaid = books(odoo, database, [checkout[0] for checkout in checkouts])
    # Each delivery's last answer is 200 unless it failed RETRIES + 1 times.
    failed = sum(count for (status, _body), count in answers.items() if status != 200)
    print("%d deliveries from %d clients to %d workers in %.1f s (%.1f/s); answers %s"
          % (len(results), CLIENTS, WORKERS, posting_s, len(results) / posting_s,
             ", ".join("%d %s: %d" % (key[0], key[1][:40], count) for key, count in sorted(answers.items()))))
    print("answer time: median %.0f ms, p95 %.0f ms, max %.0f ms; drained %.1f s after the last answer"
          % (statistics.median(durations) * 1000, p95, durations[-1] * 1000, drain_s))
    print("invoices: %d paid once, %d paid more than once, %d still owing" % (once, double, unpaid))
    for body in sorted({body for status, body, _seconds in results if status == 200}):
        times = sorted(seconds for status, answer, seconds in results if (status, answer) == (200, body))
        print("answered %s: %d, median %.0f ms, p95 %.0f ms" % (
            body, len(times), statistics.median(times) * 1000, times[round(0.95 * (len(times) - 1))] * 1000))
    for event_type, count, mean, p95_s in processing_costs(odoo, database):
        print("processed by the job: %s: %d timed, mean %.0f ms, p95 %.0f ms"
              % (event_type, count, mean * 1000, p95_s * 1000))
    states = queue(odoo, database)
    print("events stored: %s" % ", ".join("%s %d" % item for item in sorted(states.items())))
    print("RESULT processed=%d duplicates_ignored=%d double_paid=%d p95_ms=%.0f drain_s=%.1f failed=%d "
          "unpaid=%d not_processed=%d median_ms=%.0f" % (
              states.get("done", 0), answers.get((200, "duplicate"), 0), double, p95, drain_s, failed,
              unpaid, sum(states.values()) - states.get("done", 0), statistics.median(durations) * 1000))


if __name__ == "__main__":
    main()
