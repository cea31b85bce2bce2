"""webo_sale in an Odoo started without the runtime's PDF renderer
(runtime/webo_report_pool), as an integrator's own Odoo is: invoices print
with Odoo's own wkhtmltopdf call, and a batch is printed one invoice at a
time. Run in an interpreter of its own, on the test database, in a
transaction that is rolled back."""
import os
import subprocess
import sys
import textwrap

SCRIPT = """
import sys
sys.path.insert(0, {runtime!r})
import webo_compat
webo_compat.install()
import odoo

odoo.tools.config.parse_config(["-c", {config!r}, "-d", {database!r}, "--log-level=warn"])
with odoo.api.Environment.manage():
    with odoo.registry({database!r}).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {{}})
        report = env.ref("webo_sale.action_report_invoice")
        assert not hasattr(report, "_run_wkhtmltopdf_each"), "the pool is not there"
        issued = env["account.invoice"].search([("state", "in", ("open", "paid"))], limit=2)
        assert len(issued) == 2
        drafts = issued[0].copy() | issued[1].copy()
        assert not report._webo_print_and_store(drafts), "a batch is left to one-by-one printing"
        # webo_no_commit: Odoo would commit the style sheets, and the drafts.
        pdf, kind = report.with_context(webo_no_commit=True).render_qweb_pdf(drafts[:1].ids)
        assert kind == "pdf" and pdf.startswith(b"%PDF") and len(pdf) > 1000, pdf[:100]
        print("printed", len(pdf))
        cr.rollback()
"""


def test_webo_sale_prints_with_odoo_own_renderer(repo_dir, database):
    script = SCRIPT.format(runtime=str(repo_dir / "runtime"), config=str(repo_dir / ".state" / "odoo.conf"),
                           database=database)
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], capture_output=True,
                            text=True, timeout=300, check=False,
                            # As runtime/odoo starts Odoo.
                            env={**os.environ, "ODOO_PRELOAD_ADDONS": "no", "NODE_PATH": "/usr/share/nodejs"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "printed" in result.stdout
