"""`make test` runs beside a `make demo`: while the demo's ports are taken
(``demo_ports``), Odoo's runner, as `make test` starts it, serves its HTTP
on a free port and its own HTTP tests reach it there.

(The system tests' server and SMTP server, the fault suite's and the
benchmarks' take free ports too: tests/test_benchmarks.py runs every
benchmark with the demo's ports taken.)
"""
import importlib.util
import os
import re
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_tests_module():
    spec = importlib.util.spec_from_file_location(
        "run_tests", os.path.join(REPO, "runtime", "run_tests.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_odoo_runner_serves_on_a_free_port_beside_a_demo(demo_ports, database, output_dir):
    """The runner in test mode with the options `make test` gives it, on the
    test database: no module is installed, so only the post-install tests
    run, base's XML-RPC test among them, which calls the runner's own
    server (before, on 8069: "Address already in use", then its calls went
    to the demo). Odoo's other post-install tests are not judged here: some
    of them expect a database without webo."""
    log = output_dir / "odoo-runner-ports.log"
    log.unlink(missing_ok=True)
    process = subprocess.run(
        [os.path.join(REPO, "runtime", "odoo"), "-d", database, "--test-enable", "--stop-after-init",
         "--max-cron-threads=0", "--log-level=info", "--logfile=%s" % log,
         *_run_tests_module().runner_ports()],
        capture_output=True, text=True, timeout=1200)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "Address already in use" not in process.stderr, process.stderr[-2000:]
    served = re.search(r"HTTP service \(werkzeug\) running on [\w.]+:(\d+)", text)
    assert served, "the runner served no HTTP (log: %s)" % log
    assert int(served.group(1)) not in demo_ports
    assert re.search(r"odoo\.addons\.base\.tests\.test_xmlrpc: Ran 2 tests", text), log
    assert not re.search(r" (ERROR|CRITICAL) \S+ odoo\.addons\.base\.tests\.test_xmlrpc:", text), log
