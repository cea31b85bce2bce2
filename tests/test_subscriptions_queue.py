"""The monthly run shared out by OCA queue_job, between two real servers.

A database of its own, with queue_job installed (the suite's database has
no queue_job: webo_sale works without it). Server A runs the jobrunner
(``--load=web,queue_job``) and the daily job, which enqueues the run as
queue jobs; the jobrunner hands each job to server B over HTTP, as it would
hand it to a load balancer in front of several machines. Every due period
ends up invoiced once.
"""
import datetime
import os
import subprocess
import sys
import time

import pytest
from conftest import OdooRpc, run_cron

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "runtime"))
from odoo_process import OdooServer


def first_of_month(months_back):
    day = datetime.date.today().replace(day=1)
    for _ in range(months_back):
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return day


@pytest.fixture(scope="module")
def queue_database(database, repo_dir):
    name = database + "_queue"
    env = dict(os.environ, WEBO_MODULES="webo_sale,queue_job")
    subprocess.run(["bash", str(repo_dir / "runtime" / "database.sh"), name, "--with-demo",
                    "--log-level=warn",
                    "--log-handler=odoo.modules.graph:CRITICAL"],
                   env=env, check=True, stdout=subprocess.DEVNULL, timeout=600)
    return name


def test_queue_jobs_from_the_daily_job_run_on_another_server(queue_database, output_dir, monkeypatch):
    worker = OdooServer(queue_database, str(output_dir / "odoo-queue-worker.log"),
                        extra_args=["--max-cron-threads=0", "--log-handler=werkzeug:INFO"])
    worker.start()
    try:
        # The jobrunner of server A sends the jobs to server B's HTTP port.
        monkeypatch.setenv("ODOO_QUEUE_JOB_CHANNELS", "root:2,root.webo_subscription:2")
        monkeypatch.setenv("ODOO_QUEUE_JOB_HOST", "127.0.0.1")
        monkeypatch.setenv("ODOO_QUEUE_JOB_PORT", str(worker.port))
        runner = OdooServer(queue_database, str(output_dir / "odoo-queue-runner.log"),
                            extra_args=["--max-cron-threads=0", "--load=web,queue_job"])
        runner.start()
        try:
            _run_through_the_queue(runner, queue_database, worker)
        finally:
            runner.stop()
    finally:
        worker.stop()


def _run_through_the_queue(runner, database, worker):
    admin = OdooRpc(runner.url, database, "admin", "admin")
    claire = OdooRpc(runner.url, database, "claire", "claire")
    # wkhtmltopdf fetches the PDFs' style sheets from this address: the
    # server executing the jobs, not whatever listens on the default port.
    parameter = admin.execute("ir.config_parameter", "search", [("key", "=", "report.url")])
    if parameter:
        admin.execute("ir.config_parameter", "write", parameter, {"value": worker.url})
    else:
        admin.execute("ir.config_parameter", "create", {"key": "report.url", "value": worker.url})
    (client,) = claire.execute("res.partner", "search", [("name", "=", "Boulangerie Dupont")])
    subscriptions = [claire.execute("webo.subscription", "webo_create", {
        "name": "Hébergement %d" % index, "partner_id": client,
        "date_start": first_of_month(2).isoformat(),
        "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 10.0 + index})]})
        for index in range(5)]
    expected = sorted((subscription, period) for subscription in subscriptions for period in (1, 2, 3))

    # The daily job itself, run now: with queue_job installed it only enqueues.
    run_cron(admin, "webo_sale", "ir_cron_webo_subscription_invoice")
    jobs = admin.execute("queue.job", "search_read", [("channel", "=", "root.webo_subscription")],
                         fields=["state", "uuid"])
    assert jobs, "the daily job enqueued the run"

    def invoiced():
        rows = claire.execute("account.invoice", "search_read",
                              [("webo_subscription_id", "in", subscriptions)],
                              ["webo_subscription_id", "webo_subscription_period", "state"])
        return sorted((row["webo_subscription_id"][0], row["webo_subscription_period"]) for row in rows)

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        states = {job["state"] for job in admin.execute(
            "queue.job", "search_read", [("channel", "=", "root.webo_subscription")], fields=["state"])}
        if states == {"done"}:
            break
        assert "failed" not in states, admin.execute(
            "queue.job", "search_read", [("state", "=", "failed")], fields=["exc_info"])
        time.sleep(1)
    assert states == {"done"}, states
    assert invoiced() == expected, "each due period invoiced once"
    assert "/queue_job/runjob" in worker.log_tail(400), "server B executed the jobs"

    # The run through XML-RPC, queued again: nothing left to invoice.
    assert admin.execute("webo.subscription", "webo_run", queue=True, job_size=2) == []
    assert invoiced() == expected
