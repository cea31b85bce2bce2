"""The PDF renderer of the runtime (webo_report_pool): it extends Odoo's
report model only when the launcher installs it, and its processes print
real PDFs and refuse what is not one.

Printing whole reports through it, its failures (wkhtmltopdf failing,
hanging, printing an empty file) included, is tested against a real server
by the fault suite (tests/faults/test_renderer.py) and by webo_sale's
report tests."""
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

import webo_compat

RUNTIME = os.path.dirname(os.path.dirname(os.path.abspath(webo_compat.__file__)))

# The base addon's models, Odoo's report model among them; whether the
# pool's extension of it follows.
REGISTERED = """
import webo_compat
webo_compat.install()
%s
import odoo.addons.base.ir.ir_actions_report
from odoo.models import MetaModel

reports = [cls.__module__ for cls in MetaModel.module_to_models["base"]
           if "ir.actions.report" in (cls._name, cls._inherit)]
print(reports)
"""


def registered_report_models(install_pool):
    script = REGISTERED % ("import webo_report_pool\nwebo_report_pool.install()" if install_pool else "")
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)],
                            env={**os.environ, "PYTHONPATH": RUNTIME},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_the_launcher_extends_odoo_report_model_after_odoo_own():
    assert registered_report_models(install_pool=True) == str(
        ["odoo.addons.base.ir.ir_actions_report", "webo_report_pool.report"])


def test_without_it_odoo_prints_with_its_own_renderer():
    assert registered_report_models(install_pool=False) == str(["odoo.addons.base.ir.ir_actions_report"])


@pytest.fixture(scope="module")
def pool():
    import webo_report_pool

    webo_report_pool.install()
    from webo_report_pool import report

    return report


def test_two_processes_print_their_documents(pool, tmp_path):
    jobs = []
    for index in range(3):
        source = pool._write_file(str(tmp_path), "body.%d.html" % index,
                                  b"<html><body><p>Document %d</p></body></html>" % index)
        jobs.append((source, str(tmp_path / ("body.%d.pdf" % index))))
    processes = [pool._start_wkhtmltopdf(["--quiet"], jobs[:2]),
                 pool._start_wkhtmltopdf(["--quiet"], jobs[2:])]
    deadline = time.monotonic() + 60
    assert [pool._wait_wkhtmltopdf(*process, deadline=deadline) for process in processes] == [None, None]
    for _source, target in jobs:
        assert pool._read_pdf(target).startswith(b"%PDF")


def test_an_empty_file_or_no_pdf_is_refused(pool, tmp_path):
    from odoo.exceptions import UserError

    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "page.pdf").write_bytes(b"<html>an error page</html>")
    with pytest.raises(UserError, match=r"printed no PDF for empty\.pdf"):
        pool._read_pdf(str(tmp_path / "empty.pdf"))
    with pytest.raises(UserError, match=r"not a PDF for page\.pdf"):
        pool._read_pdf(str(tmp_path / "page.pdf"))
    with pytest.raises(UserError, match=r"printed no PDF for missing\.pdf"):
        pool._read_pdf(str(tmp_path / "missing.pdf"))


def test_a_process_still_printing_at_the_deadline_is_stopped(pool):
    sleeper = subprocess.Popen(["sleep", "60"], start_new_session=True)
    errors = tempfile.TemporaryFile()
    started = time.monotonic()
    failure = pool._wait_wkhtmltopdf(sleeper, errors, deadline=time.monotonic() + 1)
    assert "did not finish the PDF in time" in failure.name
    assert sleeper.poll() is not None, "stopped"
    assert time.monotonic() - started < 10
