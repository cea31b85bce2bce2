"""Create-and-send throughput: webo's invoice wizard against stock Odoo's path.

In-process (no server), on the benchmark's fresh database with the demo
data, as claire, for the same client (Cabinet Leroy Avocats, whose own
address receives the invoices) and the same line (1 x 500 EUR):

* ours: ``webo.invoice.wizard`` create + ``action_send`` (a number, the
  legal PDF stored, the email queued to the billing contact);
* stock: ``account.invoice`` create with the same values the wizard gives
  it, ``action_invoice_open``, then ``message_post_with_template`` of
  ``account.email_template_edi_invoice``: what Odoo's "Send by email" does,
  with the context of its ``action_invoice_sent``. Both only queue their
  email (``mail_notify_force_send=False``, as ours does): nothing is sent.

Each invoice is one transaction (a cursor committed at its end, a fresh
environment), as one XML-RPC call of a script would be. A few invoices of
each kind warm the caches first and are not counted. One round runs 500 of
ours, then 500 of stock Odoo: about 1.2 s an invoice in either path on the
reference machine (2 cores), so the benchmark takes about 20 minutes.
Odoo's own work is most of each invoice and the same in both paths:
validating it (its journal entry) and rendering its PDF (QWeb, then
wkhtmltopdf in a subprocess: about 0.4 s of the 1.2); the overhead
measures what webo adds around it.

Output: a few lines, then
``RESULT ours_per_s=.. stock_per_s=.. overhead=<ours time/stock time> queries_per_invoice=<ours>``.
The database is throw-away: what the benchmark creates stays committed.
"""
import datetime
import os
import sys
import time

from webo_bench import load_odoo, size

INVOICES = size("WEBO_BENCH_INVOICES", 500, 2)  # per path
WARMUP = size("WEBO_BENCH_WARMUP", 3, 1)
DESIGNER = "claire"
CLIENT = "Cabinet Leroy Avocats"
LINE = {"name": "Refonte du site vitrine", "quantity": 1, "price_unit": 500.0}
LABEL = "Site vitrine"


class Bench:
    def __init__(self, odoo, database):
        self.odoo = odoo
        self.api = odoo.api
        self.registry = odoo.registry(database)
        self.queries = 0
        today = datetime.date.today()
        self.date_invoice = today.isoformat()
        self.date_due = (today + datetime.timedelta(days=30)).isoformat()
        with self.transaction(odoo.SUPERUSER_ID) as env:
            (self.uid,) = env["res.users"].search([("login", "=", DESIGNER)]).ids
        with self.transaction(self.uid) as env:
            (self.client,) = env["res.partner"].search([("name", "=", CLIENT)]).ids
            self.template = env.ref("account.email_template_edi_invoice").id
            company = env.user.company_id
            journal = env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
            self.journal = journal.id
            # The invoice line exactly as the wizard makes it (its income
            # account, the workspace's default sale VAT: none under the franchise).
            self.invoice_line = dict(LINE, account_id=journal.default_credit_account_id.id,
                                     invoice_line_tax_ids=[(6, 0, company._webo_default_sale_tax().ids)])
            self.company = company.id

    def transaction(self, uid):
        """A cursor and a fresh environment of ``uid``, committed at the end."""
        bench = self

        class Transaction:
            def __enter__(self):
                self.manage = bench.api.Environment.manage()
                self.manage.__enter__()
                self.cr = bench.registry.cursor()
                return bench.api.Environment(self.cr, uid, {})

            def __exit__(self, exc_type, exc, traceback):
                try:
                    if exc_type is None:
                        self.cr.commit()
                finally:
                    bench.queries += self.cr.sql_log_count
                    self.cr.close()
                    self.manage.__exit__(exc_type, exc, traceback)

        return Transaction()

    def ours(self, env):
        wizard = env["webo.invoice.wizard"].create({
            "name": LABEL,
            "partner_id": self.client,
            "date_invoice": self.date_invoice,
            "date_due": self.date_due,
            "recurrence": "none",
            "line_ids": [(0, 0, dict(LINE))],
        })
        return env["account.invoice"].browse(wizard.action_send()["res_id"])

    def stock(self, env):
        invoice = env["account.invoice"].create({
            "type": "out_invoice",
            "name": LABEL,
            "partner_id": self.client,
            "company_id": self.company,
            "journal_id": self.journal,
            "date_invoice": self.date_invoice,
            "date_due": self.date_due,
            "invoice_line_ids": [(0, 0, dict(self.invoice_line))],
        })
        invoice.action_invoice_open()
        # The context of account.invoice.action_invoice_sent ("Send by email").
        invoice.with_context(
            mark_invoice_as_sent=True, force_email=True, mail_notify_force_send=False,
            custom_layout="account.mail_template_data_notification_email_account_invoice",
        ).message_post_with_template(self.template)
        return invoice

    def run(self, path, count):
        """(seconds, queries per invoice) of ``count`` invoices sent by ``path``."""
        self.queries = 0
        started = time.perf_counter()
        for _ in range(count):
            with self.transaction(self.uid) as env:
                invoice = path(env)
                assert invoice.state == "open" and invoice.number, (invoice.state, invoice.number)
        return time.perf_counter() - started, self.queries / count

    def check_sent(self, env, invoice_ids):
        """Each path left a numbered invoice with its PDF attached and an email
        queued (stock Odoo marks it sent at once; ours once the mail server
        accepts it, meanwhile its email is pending)."""
        for invoice in env["account.invoice"].browse(invoice_ids):
            pdfs = env["ir.attachment"].search_count([
                ("res_model", "=", "account.invoice"), ("res_id", "=", invoice.id),
                ("mimetype", "=", "application/pdf")])
            mails = env["mail.mail"].search_count([
                ("model", "=", "account.invoice"), ("res_id", "=", invoice.id),
                ("state", "=", "outgoing")])
            queued = invoice.sent or invoice.webo_email_state == "pending"
            assert queued and pdfs >= 1 and mails == 1, (invoice.number, invoice.sent, pdfs, mails)


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    bench = Bench(odoo, database)
    started = time.perf_counter()

    checked = []
    for path in (bench.ours, bench.stock):
        for _ in range(WARMUP):
            with bench.transaction(bench.uid) as env:
                checked.append(path(env).id)
    with bench.transaction(bench.uid) as env:
        bench.check_sent(env, checked)
    print("warm-up: %d invoices of each kind, each numbered, with its PDF and one queued email (%.1f s)"
          % (WARMUP, time.perf_counter() - started))

    results = {}
    for name, path in (("ours", bench.ours), ("stock", bench.stock)):
        seconds, queries = bench.run(path, INVOICES)
        print("%-5s: %d invoices in %6.1f s, %5.2f invoices/s, %6.1f SQL queries per invoice"
              % (name, INVOICES, seconds, INVOICES / seconds, queries))
        results[name] = (seconds, queries)
    (ours_s, ours_queries), (stock_s, _stock_queries) = results["ours"], results["stock"]
    print("%.0f s in all" % (time.perf_counter() - started))
    print("RESULT ours_per_s=%.2f stock_per_s=%.2f overhead=%.2f queries_per_invoice=%.2f"
          % (INVOICES / ours_s, INVOICES / stock_s, ours_s / stock_s, ours_queries))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
