"""Deferred purchases under concurrency: never above the ceiling, none lost.

On the benchmark's fresh database (demo data), WORKSPACES workspaces get a
designer each and an open sales service (IBAN registered) whose purchase
credit the platform operator sets to CEILING euros. Then a real server of
that database (WORKERS prefork workers, one a core by default)
receives PURCHASES deferred purchases over XML-RPC from CLIENTS threads,
each with a connection of its own, spread over the workspaces (CLIENTS /
WORKSPACES threads per workspace, buying at the same time); before the
timed purchases each client reads its credit twice (a server in service is
warm). Each purchase is one
hosting service (15 EUR): every workspace is asked for more than its
ceiling, so the last purchases of each race for its last euros and some
are refused ("crédit d'achat disponible").

At the end, from the database: ``overshoot`` = the euros above the ceiling
summed over the workspaces (used - ceiling when positive); ``lost`` = the
purchases the server confirmed (it returned an order id) that are not in
the database with their bill, plus the purchases that failed otherwise
than by the credit refusal. ``p95_ms`` is the 95th percentile of the
XML-RPC call's duration as the client sees it (confirmed and refused).

Output: ``RESULT overshoot=<EUR> lost=<n> p95_ms=<ms> ...``. The database is
throw-away.
"""
import os
import statistics
import threading
import time
import xmlrpc.client

from webo_bench import REPO, load_odoo, size

from odoo_process import OdooServer

WORKSPACES = size("WEBO_BENCH_WORKSPACES", 10, 2)
CLIENTS = size("WEBO_BENCH_CLIENTS", 20, 2)
PURCHASES = size("WEBO_BENCH_PURCHASES", 200, 8)
CEILING = size("WEBO_BENCH_CEILING", 200.0, 30.0)
# One prefork worker a core: a purchase is CPU work (2 workers measured
# p95 260 ms here, 3: 419, 4: 600, 8: 674, 1: 1462).
WORKERS = int(os.environ.get("WEBO_BENCH_WORKERS", os.cpu_count() or 2))
IBAN = "FR76 3000 6000 0112 3456 7890 189"


def prepare(odoo, database):
    """The workspaces, their designers (login = password) and open services;
    the product id bought."""
    registry = odoo.registry(database)
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        designer_group = env.ref("webo_sale.group_designer")
        logins = []
        for number in range(WORKSPACES):
            company = env["res.company"].create({
                "name": "Atelier bench %02d" % number, "webo_workspace": True,
                "country_id": env.ref("base.fr").id, "currency_id": env.ref("base.EUR").id})
            login = "bench-credit-%02d" % number
            env["res.users"].with_context(no_reset_password=True).create({
                "name": login, "login": login, "password": login, "lang": "fr_FR",
                "company_id": company.id, "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, designer_group.ids)]})
            service = env["webo.sale.service"]._webo_for_company(company).sudo()
            service._webo_open(IBAN.replace(" ", ""), "AGRIFRPPXXX")
            service.purchase_ceiling_override = CEILING
            logins.append(login)
        product = env.ref("webo_sale.product_hosting")
        cr.commit()
        return logins, product.id, product.list_price


def purchase_loop(url, database, login, product, count, results, start):
    common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common")
    uid = common.authenticate(database, login, login, {})
    models = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object")
    # A server in service is warm: each client reads its credit first (not
    # timed), then all of them buy at once.
    for _index in range(2):
        models.execute_kw(database, uid, login, "webo.sale.service", "webo_purchase_credit", [])
    start.wait()
    for _index in range(count):
        started = time.perf_counter()
        try:
            order = models.execute_kw(database, uid, login, "webo.purchase.order", "webo_buy",
                                      [[{"product_id": product, "quantity": 1}]],
                                      {"accept_terms": True, "context": {"lang": "fr_FR"}})
            outcome = ("confirmed", order)
        except xmlrpc.client.Fault as fault:
            refused = "crédit d'achat disponible" in fault.faultString
            outcome = ("refused" if refused else "failed", fault.faultString.strip().splitlines()[-1])
        results.append((login, time.perf_counter() - started, *outcome))


def check(odoo, database, logins, results):
    """overshoot (EUR) and lost orders, read from the database."""
    registry = odoo.registry(database)
    confirmed = {row[3] for row in results if row[2] == "confirmed"}
    with odoo.api.Environment.manage(), registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        overshoot = 0.0
        for login in logins:
            user = env["res.users"].search([("login", "=", login)])
            service = env["webo.sale.service"]._webo_for_company(user.company_id).sudo()
            credit = service._webo_purchase_outstanding()
            overshoot += max(credit["used"] - credit["ceiling"], 0.0)
        # The platform's batch issues its invoices of the new orders.
        env["webo.purchase.order"]._webo_issue_platform_invoices(limit=None)
        found = env["webo.purchase.order"].search(
            [("id", "in", list(confirmed)), ("bill_id.state", "=", "open"),
             ("invoice_id.state", "=", "open")])
        stray = env["webo.purchase.order"].search_count(
            [("id", "not in", list(confirmed)), ("user_id.login", "in", logins)])
    return round(overshoot, 2), len(confirmed) - len(found), stray


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    logins, product, price = prepare(odoo, database)
    log = os.path.join(REPO, "test-output", "bench-credit-server.log")
    if os.path.exists(log):
        os.remove(log)  # its retries are this run's
    server = OdooServer(database, log, extra_args=[
        "--max-cron-threads=0", "--workers=%d" % WORKERS, "--log-handler=odoo.service.model:INFO"]).start()
    results = []
    try:
        per_client = [PURCHASES // CLIENTS + (1 if i < PURCHASES % CLIENTS else 0) for i in range(CLIENTS)]
        start = threading.Barrier(CLIENTS + 1)
        threads = [threading.Thread(target=purchase_loop, args=(
            server.url, database, logins[index % WORKSPACES], product, per_client[index], results,
            start)) for index in range(CLIENTS)]
        for thread in threads:
            thread.start()
        start.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.stop()
    overshoot, missing, stray = check(odoo, database, logins, results)
    failed = [row for row in results if row[2] == "failed"]
    durations = sorted(row[1] for row in results)
    p95 = durations[round(0.95 * (len(durations) - 1))] * 1000
    counts = {kind: sum(1 for row in results if row[2] == kind) for kind in ("confirmed", "refused")}
    print("%d purchases of %.2f EUR from %d clients over %d workspaces (ceiling %.0f EUR each) in %.1f s"
          % (len(results), price, CLIENTS, WORKSPACES, CEILING, elapsed))
    print("confirmed %(confirmed)d, refused for credit %(refused)d" % counts
          + ", failed otherwise %d, orders not confirmed to the client but written %d" % (len(failed), stray))
    for row in failed[:5]:
        print("failed:", row[3])
    print("median %.0f ms, p95 %.0f ms, max %.0f ms" % (
        statistics.median(durations) * 1000, p95, durations[-1] * 1000))
    # Odoo replays a request PostgreSQL refused as stale (concurrency failure).
    with open(log, encoding="utf-8", errors="replace") as lines:
        retries = sum(1 for line in lines if "retry" in line)
    print("RESULT overshoot=%.2f lost=%d p95_ms=%.0f confirmed=%d refused=%d failed=%d retries=%d" % (
        overshoot, missing + len(failed), p95, counts["confirmed"], counts["refused"], len(failed),
        retries))


if __name__ == "__main__":
    main()
