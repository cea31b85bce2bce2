"""The monthly subscription run: webo's against OCA contract 11.0, side by side.

In-process (no server), on the benchmark's fresh database, where OCA's
``contract`` addon (odoo11-addon-contract, requirements-oca.txt) is
installed first. Ten designer workspaces (the demo's two and eight more,
each with its French accounting, its designer and CLIENTS clients with a
billing contact, default 20) hold SUBSCRIPTIONS running subscriptions between them
(default 2,000: 200 a workspace), each of one line (1 x 30 EUR), due
today. The same clients get the same number of OCA contracts (monthly,
one line of a service product at 30 EUR, next invoice today).

* ours: ``webo.subscription._webo_run_due(today)``, the daily job's run:
  each invoice created, validated (its number), its legal PDF stored and
  its email queued, in committed batches of 50;
* OCA: what its daily job does (``recurring_create_invoice``: draft
  invoices), then what it leaves to the user to make the same invoices:
  ``action_invoice_open`` and Odoo's "Send by email" (the invoice mail
  template with its PDF, queued), in committed batches of 50 contracts.

Both only queue their emails: nothing is sent. Ours logs its progress
(done/total, rate) after each batch on stderr. wkhtmltopdf fetches the
PDFs' style sheets over HTTP: a real server of the benchmark's database
runs beside it on a free port (``report.url``), as in production. Output: a few lines, then
``RESULT ours_s=.. oca_contract_s=.. ratio=<ours/oca> queries_per_invoice=<ours>``.
The database is throw-away: what the benchmark creates stays committed.

To study one side: WEBO_BENCH_SIDE=ours|oca (default both: the RESULT
line needs both) runs only that side; WEBO_BENCH_PROFILE=<prefix> writes
each timed side's cProfile statistics to <prefix>.<side>.prof (for pstats).
"""
import cProfile
import logging
import os
import subprocess
import sys
import time

from webo_bench import REPO, OdooBench, install_addon, load_odoo, open_sales_services, size

SUBSCRIPTIONS = size("WEBO_BENCH_SUBSCRIPTIONS", 2000, 4)
WORKSPACES = size("WEBO_BENCH_WORKSPACES", 10, 2)
CLIENTS = size("WEBO_BENCH_CLIENTS", 20, 2)  # per workspace
BATCH = 50
PRICE = 30.0
SIDE = os.environ.get("WEBO_BENCH_SIDE", "both")
PROFILE = os.environ.get("WEBO_BENCH_PROFILE")


class Bench(OdooBench):
    def setup(self):
        """Workspaces, designers, clients, then subscriptions and contracts."""
        started = time.perf_counter()
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            workspaces = self.workspaces(env, WORKSPACES, self._workspace)
            open_sales_services(env)
            cr.commit()
            # The demo's own subscription invoices are not the runs'.
            self.last_invoice = env["account.invoice"].search([], order="id desc", limit=1).id or 0
            product = env["product.product"].create({
                "name": "Hébergement", "type": "service", "list_price": PRICE, "company_id": False})
            per_workspace = SUBSCRIPTIONS // len(workspaces)
            for workspace in workspaces:
                designer = env["res.users"].search([
                    ("company_id", "=", workspace.id),
                    ("groups_id", "in", env.ref("webo_sale.group_designer").ids)], limit=1)
                clients = self.clients(env, workspace, CLIENTS)
                journal = env["account.journal"].search(
                    [("company_id", "=", workspace.id), ("type", "=", "sale")], limit=1)
                # Untimed set-up: no chatter (followers, creation messages)
                # for the records the benchmark starts from.
                subscriptions = env["webo.subscription"].sudo(designer).with_context(
                    tracking_disable=True)
                contracts = env["account.analytic.account"].with_context(tracking_disable=True)
                for number in range(per_workspace):
                    client = clients[number % len(clients)]
                    subscriptions.create({
                        "name": "Hébergement %d" % number, "partner_id": client.id,
                        "date_start": self.today,
                        "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": PRICE})],
                    })
                    contracts.create({
                        "name": "Hébergement %d" % number, "partner_id": client.id,
                        "company_id": workspace.id, "journal_id": journal.id,
                        "recurring_invoices": True, "recurring_rule_type": "monthly",
                        "recurring_interval": 1, "date_start": self.today,
                        "recurring_next_date": self.today,
                        "recurring_invoice_line_ids": [(0, 0, {
                            "product_id": product.id, "name": "Hébergement", "quantity": 1,
                            "uom_id": product.uom_id.id, "price_unit": PRICE})],
                    })
                cr.commit()
            total = per_workspace * len(workspaces)
        print("set-up: %d workspaces, %d subscriptions and as many OCA contracts (%.0f s)"
              % (len(workspaces), total, time.perf_counter() - started))
        return total

    def _workspace(self, env, index):
        # The law's identifiers: no invoice is issued without them.
        from odoo.addons.webo_sale.tests.common import french_identifiers
        siret, vat = french_identifiers("Atelier bench %d" % index)
        company = env["res.company"].create({
            "name": "Atelier bench %d" % index, "webo_workspace": True, "siret": siret, "vat": vat,
            "country_id": env.ref("base.fr").id, "currency_id": env.ref("base.EUR").id})
        company._webo_install_accounting()
        env["res.users"].with_context(no_reset_password=True).create({
            "name": "Concepteur %d" % index, "login": "bench%d" % index,
            "email": "bench%d@example.com" % index, "lang": "fr_FR",
            "company_id": company.id, "company_ids": [(6, 0, company.ids)],
            "groups_id": [(6, 0, env.ref("webo_sale.group_designer").ids)]})
        return company

    def ours(self):
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            started = time.perf_counter()
            done = env["webo.subscription"]._webo_run_due(self.today, BATCH)
            cr.commit()
            return done, time.perf_counter() - started, cr.sql_log_count

    def oca(self):
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            template = env.ref("account.email_template_edi_invoice")
            started = time.perf_counter()
            contracts = env["account.analytic.account"].search([
                ("recurring_invoices", "=", True), ("recurring_next_date", "<=", self.today)])
            ids, done = contracts.ids, 0
            for start in range(0, len(ids), BATCH):
                batch = env["account.analytic.account"].browse(ids[start:start + BATCH])
                invoices = batch.with_context(cron=True).recurring_create_invoice()
                invoices.action_invoice_open()
                for invoice in invoices:
                    # Odoo's "Send by email" (account.invoice.action_invoice_sent).
                    invoice.with_context(
                        mark_invoice_as_sent=True, force_email=True, mail_notify_force_send=False,
                        custom_layout="account.mail_template_data_notification_email_account_invoice",
                    ).message_post_with_template(template.id)
                done += len(invoices)
                cr.commit()
                env.clear()
            return done, time.perf_counter() - started

    def check(self):
        """Each path left one validated invoice per subscription or contract,
        each with its queued email."""
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            for field in ("webo_subscription_id", "contract_id"):
                invoices = env["account.invoice"].search(
                    [(field, "!=", False), ("id", ">", self.last_invoice)])
                states = set(invoices.mapped("state"))
                mails = env["mail.mail"].search_count([
                    ("model", "=", "account.invoice"), ("res_id", "in", invoices.ids)])
                assert states == {"open"} and mails == len(invoices), (field, states, mails)
                print("%-20s %d invoices, all validated, %d emails queued" % (field, len(invoices), mails))


def serve_report_assets(database):
    """A server of the database for wkhtmltopdf, and ``report.url`` on it."""
    from odoo_process import OdooServer

    log = os.path.join(REPO, "test-output", "bench-subscriptions-server.log")
    server = OdooServer(database, log, extra_args=["--max-cron-threads=0"]).start()
    subprocess.run(["psql", "-q", "-d", database, "-c",
                    "DELETE FROM ir_config_parameter WHERE key = 'report.url';"
                    "INSERT INTO ir_config_parameter (key, value) VALUES ('report.url', '%s')"
                    % server.url], check=True)
    return server


def main():
    database = os.environ["WEBO_BENCH_DB"]
    install_addon(database, "contract")
    server = serve_report_assets(database)
    try:
        run(database)
    finally:
        server.stop()


def profiled(side, function):
    """``function()``, profiled into <WEBO_BENCH_PROFILE>.<side>.prof if asked."""
    if not PROFILE:
        return function()
    profile = cProfile.Profile()
    try:
        return profile.runcall(function)
    finally:
        profile.dump_stats("%s.%s.prof" % (PROFILE, side))


def run(database):
    odoo = load_odoo(database)
    # The run's progress log (done/total, rate) on stderr; not the factur-x
    # library's line per PDF.
    logging.getLogger("odoo.addons.webo_sale.models.webo_subscription").setLevel(logging.INFO)
    logging.getLogger("factur-x").setLevel(logging.WARNING)
    bench = Bench(odoo, database)
    total = bench.setup()
    if SIDE != "both":
        run_one_side(bench, total)
        return
    ours_done, ours_s, ours_queries = profiled("ours", bench.ours)
    print("ours: %d invoices in %.1f s (%.2f/s), %.1f SQL queries per invoice"
          % (ours_done, ours_s, ours_done / ours_s, ours_queries / max(ours_done, 1)))
    oca_done, oca_s = profiled("oca", bench.oca)
    print("OCA contract: %d invoices in %.1f s (%.2f/s)" % (oca_done, oca_s, oca_done / oca_s))
    assert ours_done == oca_done == total, (ours_done, oca_done, total)
    bench.check()
    print("RESULT ours_s=%.1f oca_contract_s=%.1f ratio=%.2f queries_per_invoice=%.1f"
          % (ours_s, oca_s, ours_s / oca_s, ours_queries / ours_done))
    sys.stdout.flush()


def run_one_side(bench, total):
    if SIDE == "ours":
        done, seconds, queries = profiled("ours", bench.ours)
        print("ours: %d invoices in %.1f s (%.2f/s), %.1f SQL queries per invoice"
              % (done, seconds, done / seconds, queries / max(done, 1)))
    elif SIDE == "oca":
        done, seconds = profiled("oca", bench.oca)
        print("OCA contract: %d invoices in %.1f s (%.2f/s)" % (done, seconds, done / seconds))
    else:
        sys.exit("WEBO_BENCH_SIDE is ours, oca or both, not %r" % SIDE)
    assert done == total, (done, total)
    print("RESULT side=%s %s_s=%.1f per_invoice_ms=%.0f" % (SIDE, SIDE, seconds, 1000 * seconds / done))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
