"""How long the server takes to produce the Synthèse of a large workspace.

On the benchmark's fresh database (demo data), claire's workspace (its
sales service is open in the demo) is filled with 5,000 customer invoices,
then with 45,000 more (50,000): a realistic mix of states (paid, open on
time, open overdue, partly paid, draft, cancelled, credit notes) spread
over 24 months, with one client payment per paid invoice. The rows are
written by SQL, in one statement each, because only the Synthèse is being
measured: it reads the invoices and payments tables, which hold here what
Odoo itself would have written (states, residuals, signed totals). After
each fill, VACUUM ANALYZE does what autovacuum would do after so many
inserts.

What is timed, in-process, as claire, with a fresh environment each time
(no ORM cache): reading every field the Synthèse form shows, which runs
the figures and the twelve-month chart. Three warm-up reads, then the
median of 20.

Output: the figures at each size, then
``RESULT synthese_ms_5k=<median ms> synthese_ms_50k=<median ms> growth=<50k/5k>``.
The database is throw-away.
"""
import os
import statistics
import time

from webo_bench import load_odoo, size

DESIGNER = "claire"
# The two sizes measured (the RESULT keys keep their full-size names).
SMALL = size("WEBO_BENCH_SMALL", 5000, 50)
LARGE = size("WEBO_BENCH_LARGE", 50000, 100)
RUNS = size("WEBO_BENCH_RUNS", 20, 2)
WARMUP = size("WEBO_BENCH_WARMUP", 3, 1)
FORM_FIELDS = [
    "company_id", "state", "welcome_pending", "currency_id", "purchase_used", "purchase_ceiling",
    "purchase_available", "sale_outstanding", "paid_count", "unpaid_count", "overdue_count",
    "paid_amount", "unpaid_amount", "overdue_amount", "chart_html", "documents_status", "iban",
    "document_ids", "company_name", "company_legal_form", "company_capital", "company_siret",
    "company_vat", "company_registry", "company_vat_regime", "company_address", "user_name",
    "user_email", "user_phone", "user_birth_date", "user_nationality",
]

# One row per invoice: its state and amounts follow from its number (n).
FILL_INVOICES = """
INSERT INTO account_invoice (
    number, name, reference_type, type, state, partner_id, commercial_partner_id, account_id,
    currency_id, journal_id, company_id, webo_recurrence, webo_email_state, date_invoice, date_due,
    amount_untaxed, amount_tax, amount_total, amount_total_signed, amount_total_company_signed,
    residual, residual_signed, residual_company_signed, create_uid, create_date, write_uid, write_date)
SELECT 'BENCH-' || (%(offset)s + n), 'Prestation ' || n, 'none',
       CASE WHEN n %% 20 = 0 THEN 'out_refund' ELSE 'out_invoice' END,
       CASE WHEN n %% 20 = 1 THEN 'draft' WHEN n %% 20 = 2 THEN 'cancel'
            WHEN n %% 5 IN (3, 4) THEN 'open' ELSE 'paid' END,
       %(partner)s, %(partner)s, %(account)s, %(currency)s, %(journal)s, %(company)s, 'none', 'none',
       d, d + 30,
       a, 0, a, s * a, s * a,
       r, s * r, s * r,
       1, now(), 1, now()
  FROM generate_series(1, %(count)s) AS n,
       LATERAL (SELECT (current_date - (n %% 730))::date AS d,
                       (100 + n %% 900)::numeric AS a,
                       CASE WHEN n %% 20 = 0 THEN -1 ELSE 1 END AS s) AS fixed,
       LATERAL (SELECT CASE WHEN n %% 5 IN (3, 4) AND n %% 20 NOT IN (0, 1, 2)
                            THEN CASE WHEN n %% 10 = 3 THEN a / 2 ELSE a END
                            ELSE 0 END AS r) AS due
"""
FILL_PAYMENTS = """
INSERT INTO account_payment (
    name, payment_type, partner_type, state, partner_id, amount, currency_id, journal_id,
    company_id, payment_method_id, payment_date, create_uid, create_date, write_uid, write_date)
SELECT 'BENCH.PAY/' || (%(offset)s + n), 'inbound', 'customer', 'reconciled', %(partner)s,
       (100 + n %% 900)::numeric, %(currency)s, %(journal)s, %(company)s, %(method)s,
       (current_date - (n %% 730))::date, 1, now(), 1, now()
  FROM generate_series(1, %(count)s) AS n
 WHERE n %% 20 NOT IN (0, 1, 2) AND n %% 5 NOT IN (3, 4)
"""


def fill(env, service, offset, count):
    company = service.company_id
    client = env["res.partner"].search([("company_id", "=", company.id), ("customer", "=", True)], limit=1)
    journal = env["account.journal"].search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    params = {
        "offset": offset, "count": count, "company": company.id, "partner": client.id,
        "account": client.with_context(force_company=company.id).property_account_receivable_id.id,
        "currency": company.currency_id.id, "journal": journal.id,
        "method": env.ref("account.account_payment_method_manual_in").id,
    }
    env.cr.execute(FILL_INVOICES, params)
    env.cr.execute(FILL_PAYMENTS, dict(params, journal=service.payment_journal_id.id))


def settle(registry):
    """What autovacuum does after such inserts: fresh statistics and a
    visibility map (index-only scans need it)."""
    with registry.cursor() as cr:
        cr.autocommit(True)
        cr.execute("VACUUM ANALYZE account_invoice")
        cr.execute("VACUUM ANALYZE account_payment")


def measure(odoo, registry, uid, service_id):
    """Median milliseconds of a full read of the Synthèse form, and its figures."""
    timings = []
    figures = None
    for run in range(WARMUP + RUNS):
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, uid, {"lang": "fr_FR"})
            service = env["webo.sale.service"].browse(service_id)
            started = time.perf_counter()
            values = service.read(FORM_FIELDS)[0]
            elapsed = (time.perf_counter() - started) * 1000.0
            if run >= WARMUP:
                timings.append(elapsed)
            figures = {key: values[key] for key in ("paid_count", "unpaid_count", "overdue_count",
                                                    "sale_outstanding", "paid_amount")}
    return statistics.median(timings), figures


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    with odoo.api.Environment.manage():
        run(odoo, odoo.registry(database))


def run(odoo, registry):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        uid = env["res.users"].search([("login", "=", DESIGNER)]).id
        service = env["webo.sale.service"]._webo_for_company(env["res.users"].browse(uid).company_id)
        assert service.state == "open", "the demo opens claire's sales service"
        service_id = service.id
        fill(env, service, 0, SMALL)
    settle(registry)
    ms_5k, figures = measure(odoo, registry, uid, service_id)
    print(f"{SMALL:,} invoices: {ms_5k:.1f} ms (median of {RUNS}) {figures}")
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        fill(env, env["webo.sale.service"].browse(service_id), SMALL, LARGE - SMALL)
    settle(registry)
    ms_50k, figures = measure(odoo, registry, uid, service_id)
    print(f"{LARGE:,} invoices: {ms_50k:.1f} ms (median of {RUNS}) {figures}")
    print("RESULT synthese_ms_5k=%.1f synthese_ms_50k=%.1f growth=%.2f" % (ms_5k, ms_50k, ms_50k / ms_5k))


if __name__ == "__main__":
    main()
