"""What the benchmarks share: their size, Odoo loaded in-process on the
benchmark's database, the workspaces and clients they start from, and the
invoices they copy row for row by SQL.

Not a benchmark itself (``bench/run.py`` refuses to run it). Named so that
no library can be hidden by it: a benchmark's folder comes first on its
import path.
"""
import datetime
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# runtime/ (webo_compat, odoo_process...), as bench/run.py gives it, for a
# benchmark started by hand.
if os.path.join(REPO, "runtime") not in sys.path:
    sys.path.append(os.path.join(REPO, "runtime"))
# The IBAN of the workspaces' payment-receiving accounts the benchmarks open.
BENCH_IBAN = "FR7630006000011234567890189"
SIZES = ("full", "tiny")


def tiny():
    """True in a tiny run (``WEBO_BENCH_SIZE=tiny``, ``make bench NAME=..
    SIZE=tiny``): a few records, seconds, to check that the benchmark runs
    to its RESULT line; its figures mean nothing."""
    size = os.environ.get("WEBO_BENCH_SIZE") or "full"
    if size not in SIZES:
        raise SystemExit("WEBO_BENCH_SIZE is %s, not %r" % (" or ".join(SIZES), size))
    return size == "tiny"


def size(variable, full, small):
    """A size parameter of a benchmark: the environment variable
    ``variable`` when it is set, else ``small`` in a tiny run, else
    ``full`` (its type gives the variable's)."""
    value = os.environ.get(variable)
    if value:
        return type(full)(value)
    return small if tiny() else full


def install_addon(database, addon):
    """Install an addon (an OCA peer) in the benchmark's database."""
    subprocess.run([os.path.join(REPO, "runtime", "odoo"), "-d", database, "-i", addon,
                    "--stop-after-init", "--log-level=warn",
                    "--log-handler=odoo.modules.graph:CRITICAL"], check=True)


def load_odoo(database):
    # As runtime/odoo does: only the installed addons, and lessc's modules.
    os.environ.setdefault("ODOO_PRELOAD_ADDONS", "no")
    os.environ.setdefault("NODE_PATH", "/usr/share/nodejs")
    import webo_compat
    import webo_report_pool

    webo_compat.install()
    webo_report_pool.install()
    import odoo

    odoo.tools.config.parse_config([
        "-c", os.path.join(REPO, ".state", "odoo.conf"), "-d", database,
        "--log-level=warn", "--log-handler=odoo.modules.graph:CRITICAL"])
    return odoo


def open_sales_services(env):
    """Open the sales service of every workspace that has not opened it (the
    demo's Julien, the benchmarks' own workspaces): a workspace sends
    invoices only then. The opening's last step: its payment-receiving
    account."""
    for company in env["res.company"].search([("webo_workspace", "=", True)]):
        service = env["webo.sale.service"]._webo_for_company(company)
        if service.state != "open":
            service._webo_open(BENCH_IBAN)


class OdooBench:
    """An in-process benchmark on its database: superuser environments, and
    the set-up helpers the benchmarks share."""

    def __init__(self, odoo, database):
        self.odoo = odoo
        self.registry = odoo.registry(database)
        self.today = datetime.date.today().isoformat()

    # The SQL expression of a copy's amount column from the column's name,
    # when the copies' amounts differ from the template's (e.g. scaled by a
    # factor of bench_copy); None: the template's amounts.
    copy_money = None

    def env(self, cr):
        return self.odoo.api.Environment(cr, self.odoo.SUPERUSER_ID, {})

    @staticmethod
    def workspaces(env, count, make):
        """The demo's workspaces, then ``make(env, index)`` ones up to ``count``."""
        workspaces = env["res.company"].search([("webo_workspace", "=", True)], order="id")
        for index in range(len(workspaces), count):
            workspaces |= make(env, index)
        return workspaces

    @staticmethod
    def clients(env, workspace, count):
        """``count`` client companies of the workspace, each with a billing
        contact of its own address, French-speaking."""
        partners = env["res.partner"]
        for number in range(count):
            partners |= env["res.partner"].create({
                "name": "Client bench %d-%d" % (workspace.id, number), "is_company": True,
                "customer": True, "company_id": workspace.id, "lang": "fr_FR",
                "child_ids": [(0, 0, {"type": "invoice", "name": "Comptabilité", "lang": "fr_FR",
                                      "email": "compta-%d-%d@example.org" % (workspace.id, number),
                                      "company_id": workspace.id})]})
        return partners

    @staticmethod
    def template_invoice(env, workspace, client, date_invoice, date_due, price):
        """One invoice of the workspace to ``client`` (one line at ``price``),
        made and validated by Odoo: the rows the benchmark copies."""
        journal = env["account.journal"].search(
            [("company_id", "=", workspace.id), ("type", "=", "sale")], limit=1)
        invoice = env["account.invoice"].create({
            "partner_id": client.id, "company_id": workspace.id, "journal_id": journal.id,
            "account_id": client.with_context(
                force_company=workspace.id).property_account_receivable_id.id,
            "name": "Maintenance du site", "date_invoice": date_invoice, "date_due": date_due,
            "invoice_line_ids": [(0, 0, {"name": "Maintenance", "quantity": 1, "price_unit": price,
                                         "account_id": journal.default_credit_account_id.id})],
        })
        invoice.action_invoice_open()
        return invoice

    def _insert_copies(self, cr, table, source, overrides, params=None):
        """Copy the ``source`` rows (alias t) into ``table`` once per row of
        the temporary table bench_copy (alias c): ``overrides`` {column: SQL
        expression} (an "id" one gives the copies their ids); with
        ``copy_money``, the amount columns (numeric, but quantity, discount
        and sequence) too."""
        money = self.copy_money
        cr.execute("SELECT column_name, data_type FROM information_schema.columns"
                   " WHERE table_name = %s AND column_name <> 'id' ORDER BY ordinal_position", [table])
        names = ["id"] if "id" in overrides else []
        values = [overrides["id"]] if "id" in overrides else []
        for column, kind in cr.fetchall():
            names.append(column)
            if column in overrides:
                values.append(overrides[column])
            elif money and kind == "numeric" and column not in ("quantity", "discount", "sequence"):
                values.append(money % column)
            else:
                values.append("t.%s" % column)
        cr.execute("INSERT INTO %s (%s) SELECT %s FROM bench_copy c %s"
                   % (table, ", ".join('"%s"' % name for name in names), ", ".join(values), source),
                   params)
