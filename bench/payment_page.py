"""How many client payment pages a server answers, against its login page.

On the benchmark's fresh database (demo data), claire's workspace (its sales
service is open, bank transfer offered) gets PAGES issued invoices through
the ORM. Then a real server of that database runs with 2 prefork workers
(``--workers=2``), as in production, and a load generator on loopback sends
GET requests from CLIENTS threads, each on a new connection (Odoo's workers
close it after each answer), without a session cookie: the client's page
of an invoice (``webo_payment_url``, its token, rotating over the invoices)
and Odoo's ``/web/login``, the reference page every Odoo server serves to
anonymous visitors. Only 200 answers count.

Each page is measured for SECONDS seconds, twice, alternately
(login, page, login, page), after a warm-up of both, so that a change of
the machine's load during the run weighs on both sides alike.

Output: the rates of each round, then
``RESULT page_rps=<pages/s> login_rps=<logins/s> ratio=<page/login>``.
The database is throw-away.
"""
import datetime
import http.client
import os
import threading
import time
from urllib.parse import urlsplit

from webo_bench import REPO, load_odoo, size

from odoo_process import OdooServer

DESIGNER = "claire"
PAGES = size("WEBO_BENCH_PAGES", 50, 2)
CLIENTS = size("WEBO_BENCH_CLIENTS", 8, 2)
SECONDS = size("WEBO_BENCH_SECONDS", 20.0, 1.0)
WARMUP_S = size("WEBO_BENCH_WARMUP_S", 3.0, 0.5)
ROUNDS = 2


def issue_invoices(database):
    """PAGES validated invoices of claire's workspace; their page paths."""
    odoo = load_odoo(database)
    registry = odoo.registry(database)
    today = datetime.date.today()
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        designer = env["res.users"].search([("login", "=", DESIGNER)])
        company = designer.company_id
        client = env["res.partner"].search([("company_id", "=", company.id), ("customer", "=", True),
                                            ("parent_id", "=", False)], limit=1)
        journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")],
                                                limit=1)
        account = env["account.account"].search([("company_id", "=", company.id), ("code", "=like", "706%")],
                                                 limit=1)
        invoices = env["account.invoice"]
        for number in range(PAGES):
            invoices |= invoices.sudo(designer).create({
                "partner_id": client.id, "journal_id": journal.id, "name": "Maintenance %d" % number,
                "date_invoice": today.isoformat(),
                "date_due": (today + datetime.timedelta(days=30)).isoformat(),
                "invoice_line_ids": [(0, 0, {"name": "Maintenance du site", "quantity": 1,
                                             "price_unit": 90.0 + number, "account_id": account.id})],
            })
        invoices.action_invoice_open()
        paths = []
        for url in invoices.mapped("webo_payment_url"):
            parts = urlsplit(url)
            paths.append("%s?%s" % (parts.path, parts.query))
        cr.commit()
    return paths


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def load(port, paths, seconds):
    """Requests per second answered 200 by the server, CLIENTS at a time."""
    done = [0] * CLIENTS
    errors = [0] * CLIENTS
    deadline = time.monotonic() + seconds

    def client(index):
        turn = index
        while time.monotonic() < deadline:
            status = get(port, paths[turn % len(paths)])
            turn += CLIENTS
            if status == 200:
                done[index] += 1
            else:
                errors[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    if sum(errors):
        raise SystemExit("%d requests were not answered 200" % sum(errors))
    return sum(done) / elapsed


def main():
    database = os.environ["WEBO_BENCH_DB"]
    paths = issue_invoices(database)
    log = os.path.join(REPO, "test-output", "bench-payment-page-server.log")
    server = OdooServer(database, log, extra_args=["--workers=2", "--max-cron-threads=0"]).start()
    try:
        for path in [*paths[:3], "/web/login"]:
            status = get(server.port, path)
            if status != 200:
                raise SystemExit("%s answered %d" % (path, status))
        load(server.port, paths, WARMUP_S)
        load(server.port, ["/web/login"], WARMUP_S)
        pages, logins = [], []
        for round_ in range(ROUNDS):
            logins.append(load(server.port, ["/web/login"], SECONDS))
            pages.append(load(server.port, paths, SECONDS))
            print("round %d: payment page %.1f req/s, /web/login %.1f req/s"
                  % (round_ + 1, pages[-1], logins[-1]))
    finally:
        server.stop()
    page_rps, login_rps = sum(pages) / ROUNDS, sum(logins) / ROUNDS
    print("%d invoices, %d clients, %d rounds of %.0f s, 2 workers" % (PAGES, CLIENTS, ROUNDS, SECONDS))
    print("RESULT page_rps=%.1f login_rps=%.1f ratio=%.2f" % (page_rps, login_rps, page_rps / login_rps))


if __name__ == "__main__":
    main()
