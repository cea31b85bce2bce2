"""XML-RPC round trips per second: a designer reads their client list.

Measures the whole path a script of a designer takes: HTTP, XML-RPC
decoding, authentication, record rules, the ORM and PostgreSQL.
"""
import os
import time
import xmlrpc.client

from webo_bench import REPO, size

from odoo_process import OdooServer

DURATION_S = size("WEBO_BENCH_SECONDS", 10.0, 1.0)
WARMUP_CALLS = size("WEBO_BENCH_WARMUP", 20, 2)


def main():
    database = os.environ["WEBO_BENCH_DB"]
    log = os.path.join(REPO, "test-output", "bench-smoke-odoo.log")
    with OdooServer(database, log) as server:
        common = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common")
        uid = common.authenticate(database, "claire", "claire", {})
        models = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/object")

        def call():
            return models.execute_kw(database, uid, "claire", "res.partner", "search_read",
                                     [[("customer", "=", True)]], {"fields": ["name"]})

        for _ in range(WARMUP_CALLS):
            call()
        calls = 0
        started = time.perf_counter()
        while time.perf_counter() - started < DURATION_S:
            clients = call()
            calls += 1
        elapsed = time.perf_counter() - started
    print("%d calls in %.1f s, %d clients per answer" % (calls, elapsed, len(clients)))
    print("RESULT xmlrpc_calls_per_s=%.1f" % (calls / elapsed))


if __name__ == "__main__":
    main()
