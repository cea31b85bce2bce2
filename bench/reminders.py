"""The daily reminder run: webo's against OCA account_credit_control 11.0, side by side.

In-process (no server), on the benchmark's fresh database, where OCA's
``account_credit_control`` addon (odoo11-addon-account-credit-control,
requirements-oca.txt) is installed first. The demo's two workspaces get
CLIENTS clients each (default 10; a company with a billing contact) and INVOICES open
invoices between them (default 20,000), a quarter of them late by 1 to 40
days (so across the four levels: D+1, D+8, D+15, D+30), the others due
within the next 30 days.

The invoices are real: one per client is made and validated by Odoo (its
journal entry, receivable line), then copied row for row by SQL (invoice,
journal entry, journal items, invoice line), each copy with its own number,
access token and due date. Both sides read the same rows.

* ours: ``account.invoice.webo_run_reminders(today)`` as the platform
  operator, the daily job's run over every workspace: the level now due of
  each late invoice found, each reminder logged, its text rendered in the
  client's language, its message added to the invoice's history and its
  email queued (nothing is sent), in committed batches;
* OCA: a credit control policy per workspace with four levels at the same
  delays (on the workspace's receivable account), then its run for the
  same date (``credit.control.run.generate_credit_lines``, per workspace,
  as OCA runs per company): one credit control line per late receivable
  line. OCA's run writes no email: they come later, from its
  communication wizard, which is not timed.

Output: a few lines, then
``RESULT ours_s=.. oca_credit_control_s=.. ratio=<ours/oca> reminders=.. oca_lines=..``.
The database is throw-away: what the benchmark creates stays committed.
"""
import os
import sys
import time

from webo_bench import OdooBench, install_addon, load_odoo, open_sales_services, size

INVOICES = size("WEBO_BENCH_INVOICES", 20000, 40)
CLIENTS = size("WEBO_BENCH_CLIENTS", 10, 2)  # per workspace
LATE_EVERY = 4  # one invoice in four is late
DELAYS = (1, 8, 15, 30)


class Bench(OdooBench):
    def setup(self):
        started = time.perf_counter()
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            open_sales_services(env)
            workspaces = env["res.company"].search([("webo_workspace", "=", True)], order="id")
            templates = []
            for workspace in workspaces:
                for client in self.clients(env, workspace, CLIENTS):
                    templates.append(self.template_invoice(env, workspace, client, self.today,
                                                           self.today, 240.0))
            cr.commit()
            copies = INVOICES // len(templates)
            for template in templates:
                self._copy(cr, template, copies)
            cr.commit()
            self.late = self._count_late(cr)
            self._credit_policies(env, workspaces)
            cr.commit()
            # The demo's own reminders and their emails are not the run's.
            cr.execute("SELECT (SELECT coalesce(max(id), 0) FROM webo_invoice_reminder),"
                       " (SELECT coalesce(max(id), 0) FROM mail_mail)")
            self.last_reminder, self.last_mail = cr.fetchone()
        print("set-up: %d workspaces, %d open invoices (%d late) in %.0f s"
              % (len(workspaces), copies * len(templates), self.late, time.perf_counter() - started))
        return workspaces.ids

    def _copy(self, cr, template, count):
        """``count`` copies of the validated ``template`` invoice: one in
        LATE_EVERY late by 1 to 40 days, the others due within 30 days."""
        cr.execute("DROP TABLE IF EXISTS bench_copy")
        cr.execute("""
            CREATE TEMP TABLE bench_copy AS
            SELECT n, nextval('account_invoice_id_seq') AS invoice_id,
                   nextval('account_move_id_seq') AS move_id,
                   'B%%s-' || n AS suffix,
                   CASE WHEN n %% %(every)s = 0 THEN %(today)s::date - (1 + (n / %(every)s) %% 40)
                        ELSE %(today)s::date + n %% 30 END AS date_due
              FROM generate_series(1, %(count)s) AS n""".replace("B%%s", "B%s" % template.id),
                   {"every": LATE_EVERY, "today": self.today, "count": count})
        params = {"move": template.move_id.id, "invoice": template.id}
        self._insert_copies(cr, "account_move", "JOIN account_move t ON t.id = %(move)s", {
            "id": "c.move_id", "name": "t.name || '/' || c.suffix", "ref": "t.ref || '/' || c.suffix",
        }, params)
        self._insert_copies(cr, "account_invoice", "JOIN account_invoice t ON t.id = %(invoice)s", {
            "id": "c.invoice_id", "move_id": "c.move_id", "number": "t.number || '/' || c.suffix",
            "move_name": "t.move_name || '/' || c.suffix", "date_due": "c.date_due",
            "access_token": "md5(random()::text || c.n)", "reference": "NULL",
        }, params)
        self._insert_copies(cr, "account_move_line", "JOIN account_move_line t ON t.move_id = %(move)s", {
            "move_id": "c.move_id",
            "invoice_id": "CASE WHEN t.invoice_id IS NULL THEN NULL ELSE c.invoice_id END",
            "date_maturity": "c.date_due",
        }, params)
        self._insert_copies(cr, "account_invoice_line",
                            "JOIN account_invoice_line t ON t.invoice_id = %(invoice)s",
                            {"invoice_id": "c.invoice_id"}, params)

    def _count_late(self, cr):
        cr.execute("SELECT count(*) FROM account_invoice WHERE type = 'out_invoice' AND state = 'open'"
                   " AND residual > 0 AND date_due < %s", [self.today])
        return cr.fetchone()[0]

    def _credit_policies(self, env, workspaces):
        """OCA: per workspace, a policy with the four levels on its receivable accounts."""
        template = env.ref("account_credit_control.email_template_credit_control_base")
        for workspace in workspaces:
            accounts = env["account.account"].search(
                [("company_id", "=", workspace.id), ("internal_type", "=", "receivable")])
            policy = env["credit.control.policy"].create({
                "name": "Relances %s" % workspace.name, "company_id": workspace.id,
                "account_ids": [(6, 0, accounts.ids)],
                "level_ids": [(0, 0, {
                    "name": "Niveau %d" % level, "level": level, "computation_mode": "net_days",
                    "delay_days": days, "email_template_id": template.id, "channel": "email",
                    "custom_text": "Relance", "custom_mail_text": "<p>Relance</p>",
                }) for level, days in enumerate(DELAYS, 1)],
            })
            workspace.credit_policy_id = policy

    def ours(self):
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            started = time.perf_counter()
            sent = env["account.invoice"].webo_run_reminders(self.today)
            cr.commit()
            return sent, time.perf_counter() - started, cr.sql_log_count

    def oca(self, workspace_ids):
        """OCA's run for the date, workspace by workspace (its policy is the
        user's company's); switching the user's company is not timed."""
        elapsed, lines = 0.0, 0
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr)
            env.user.company_ids = [(4, company_id) for company_id in workspace_ids]
            for company_id in workspace_ids:
                env.user.company_id = env["res.company"].browse(company_id)
                cr.commit()
                env.clear()
                started = time.perf_counter()
                run = env["credit.control.run"].create({
                    "date": self.today, "company_id": company_id,
                    "policy_ids": [(6, 0, env["res.company"].browse(company_id).credit_policy_id.ids)]})
                run.generate_credit_lines()
                cr.commit()
                elapsed += time.perf_counter() - started
                lines += len(run.line_ids)
        return lines, elapsed

    def check(self):
        """What each side left: one reminder and one queued email per
        late invoice; one credit control line per late receivable line."""
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            cr.execute("""SELECT lvl.days, count(*) FROM webo_invoice_reminder r
                            JOIN webo_reminder_level lvl ON lvl.id = r.level_id
                           WHERE r.id > %s GROUP BY lvl.days ORDER BY lvl.days""", [self.last_reminder])
            levels = cr.fetchall()
            cr.execute("""SELECT count(*) FROM mail_mail m JOIN mail_message msg ON msg.id = m.mail_message_id
                           WHERE m.state = 'outgoing' AND m.id > %s AND msg.subtype_id = (
                               SELECT res_id FROM ir_model_data
                                WHERE module = 'webo_sale' AND name = 'mt_invoice_reminder')""",
                       [self.last_mail])
            (mails,) = cr.fetchone()
            cr.execute("SELECT count(DISTINCT invoice_id) FROM credit_control_line")
            (oca_invoices,) = cr.fetchone()
        print("ours: reminders per level (days: count) %s, %d emails queued" % (levels, mails))
        print("OCA: credit control lines on %d invoices" % oca_invoices)
        return sum(count for _days, count in levels), mails


def main():
    database = os.environ["WEBO_BENCH_DB"]
    install_addon(database, "account_credit_control")
    odoo = load_odoo(database)
    bench = Bench(odoo, database)
    workspace_ids = bench.setup()
    ours_sent, ours_s, ours_queries = bench.ours()
    print("ours: %d reminders in %.2f s (%.0f/s), %d SQL queries"
          % (ours_sent, ours_s, ours_sent / ours_s, ours_queries))
    oca_lines, oca_s = bench.oca(workspace_ids)
    print("OCA account_credit_control: %d credit control lines in %.2f s (%.0f/s)"
          % (oca_lines, oca_s, oca_lines / oca_s))
    reminders, mails = bench.check()
    assert reminders == mails == ours_sent, (reminders, mails, ours_sent)
    print("RESULT ours_s=%.2f oca_credit_control_s=%.2f ratio=%.3f reminders=%d oca_lines=%d late=%d"
          % (ours_s, oca_s, ours_s / oca_s, ours_sent, oca_lines, bench.late))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
