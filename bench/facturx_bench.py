"""Factur-X of every kind of document webo issues, checked with the official
rules (``make bench NAME=facturx``).

In-process (no server), on the benchmark's fresh database with the demo
data. First, not timed, the documents are issued, ``WEBO_BENCH_PER_KIND``
(default 200) of each kind, through the product's own paths (an invoice is
issued only if its e-invoice passes the rules: one refused counts as
invalid):

* ``franchise``: claire's invoices under the VAT franchise, to a business
  and to a private client in turn;
* ``vat_20``: julien's at 20 % to a business client;
* ``rates``: julien's with lines at 20 %, 10 % and 5.5 %;
* ``credit_note``: credit notes cancelling claire's and julien's invoices;
* ``foreign``: julien's to a Belgian business;
* ``long``: julien's with 40 lines at the three rates;
* ``subscription``: the subscriptions' monthly run (ten subscriptions of
  julien and claire started long enough ago), each invoice with its PDF
  and email, as the daily job makes them.

Then, timed, for each document in its own transaction, as its designer:
its stored legal PDF (rendered with wkhtmltopdf and made a PDF/A-3 with
its XML when it was not yet), the XML extracted back with the factur-x
library, checked against the official rules (the Factur-X 1.09.2 EN 16931
schema and schematron, the BR-FR Flux 2 schematron: any failed assertion
makes it invalid; this check alone is timed as ``rules_ms``, without the
product's cache of results), and its number and totals compared with the
document's.

Output: one line per kind, the rules check's mean, median and longest
time, then
``RESULT valid=<documents passing> total=<documents> kinds=<kinds> per_s=<documents per
second, timed part> rules_ms=<mean time of the rules check per document>``.
Goal: valid = total. The database is throw-away.
"""
import base64
import datetime
import os
import statistics
import sys
import time
from collections import defaultdict

from lxml import etree
from webo_bench import load_odoo, open_sales_services, size

PER_KIND = size("WEBO_BENCH_PER_KIND", 200, 1)
SUBSCRIPTIONS = size("WEBO_BENCH_SUBSCRIPTIONS", 10, 1)
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
FOREIGN_CLIENT = {
    "name": "Agence Atomium SRL", "is_company": True, "customer": True,
    "vat": "BE0477472701", "street": "Rue Royale 12", "zip": "1000", "city": "Bruxelles",
    "email": "facturation@atomium.example",
}


class Bench:
    def __init__(self, odoo, database):
        self.odoo = odoo
        self.registry = odoo.registry(database)
        import facturx

        from odoo.addons.webo_sale.facturx_cii import check_facturx

        self.facturx = facturx
        self.check_facturx = check_facturx
        self.documents = []  # (kind, uid, invoice id)
        self.refused = defaultdict(list)  # kind: [error]

    def env(self, cr, uid):
        return self.odoo.api.Environment(cr, uid, {})

    def transaction(self, uid, work):
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            result = work(self.env(cr, uid))
            cr.commit()
            return result

    def isolate_reports(self):
        """wkhtmltopdf fetches the report's stylesheets from report.url (else
        web.base.url): make that fail at once instead of waiting on whatever
        server answers there; the invoice carries its own styles."""
        self.transaction(self.odoo.SUPERUSER_ID, lambda env: env["ir.config_parameter"].set_param(
            "report.url", "http://127.0.0.1:9"))

    # Issuing

    def designer(self, env, login):
        user = env["res.users"].sudo().search([("login", "=", login)])
        return self.env(env.cr, user.id), user

    def issue(self, kind, login, make_lines, client_name=None, clients=None):
        """PER_KIND invoices of ``login``, one transaction each, to
        ``client_name`` or to each of ``clients`` in turn."""
        names = clients or [client_name]

        def one(index):
            def work(env):
                env, user = self.designer(env, login)
                company = user.company_id
                client = env["res.partner"].search(
                    [("name", "=", names[index % len(names)]), ("parent_id", "=", False)], limit=1)
                journal = env["account.journal"].search(
                    [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
                today = datetime.date.today()
                invoice = env["account.invoice"].create({
                    "partner_id": client.id, "company_id": company.id, "journal_id": journal.id,
                    "name": "Bench Factur-X %s %d" % (kind, index),
                    "date_invoice": today.isoformat(),
                    "date_due": (today + datetime.timedelta(days=30)).isoformat(),
                    "invoice_line_ids": [(0, 0, dict(line, account_id=journal.default_credit_account_id.id))
                                         for line in make_lines(env, company, index)]})
                invoice.action_invoice_open()
                return user.id, invoice.id
            return work
        for index in range(PER_KIND):
            self._issue_one(kind, one(index))

    def issue_credit_notes(self):
        def one(login, client, index):
            def work(env):
                env, user = self.designer(env, login)
                company = user.company_id
                journal = env["account.journal"].search(
                    [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
                partner = env["res.partner"].search([("name", "=", client), ("parent_id", "=", False)],
                                                    limit=1)
                invoice = env["account.invoice"].create({
                    "partner_id": partner.id, "company_id": company.id, "journal_id": journal.id,
                    "name": "Bench avoir %d" % index, "date_invoice": datetime.date.today().isoformat(),
                    "invoice_line_ids": [(0, 0, dict(line, account_id=journal.default_credit_account_id.id))
                                         for line in rate_lines(env, company, index)]})
                invoice.action_invoice_open()
                credit_note = invoice._webo_new_credit_note()
                credit_note.action_invoice_open()
                return user.id, credit_note.id
            return work
        for index in range(PER_KIND):
            login, client = (("claire", "Boulangerie Dupont") if index % 2
                             else ("julien", "Garage Lefèvre SAS"))
            self._issue_one("credit_note", one(login, client, index))

    def issue_subscriptions(self):
        """Ten subscriptions started long enough ago for PER_KIND periods,
        then the monthly run as the daily job does it."""
        months = -(-PER_KIND // SUBSCRIPTIONS)
        today = datetime.date.today()
        start = today.replace(day=1)
        for _month in range(months - 1):
            start = (start - datetime.timedelta(days=1)).replace(day=1)

        def create(env):
            for index in range(SUBSCRIPTIONS):
                login, client = (("claire", "Boulangerie Dupont") if index % 2
                                 else ("julien", "Restaurant Le Petit Zinc"))
                designer_env, user = self.designer(env, login)
                partner = designer_env["res.partner"].search(
                    [("name", "=", client), ("parent_id", "=", False)], limit=1)
                designer_env["webo.subscription"].webo_create({
                    "name": "Hébergement et maintenance %d" % index, "partner_id": partner.id,
                    "date_start": start.isoformat(),
                    "line_ids": [(0, 0, dict(line, tax_ids=line.pop("invoice_line_tax_ids")))
                                 for line in rate_lines(designer_env, user.company_id, index)]})
        self.transaction(self.odoo.SUPERUSER_ID, create)
        self.transaction(self.odoo.SUPERUSER_ID,
                         lambda env: env["webo.subscription"].webo_run(date=today.isoformat()))

        def collect(env):
            # This run's own (a test database's demo holds others, made in
            # Odoo's test mode, which prints HTML instead of PDF).
            invoices = env["account.invoice"].search(
                [("webo_subscription_id.name", "=like", "Hébergement et maintenance %"),
                 ("state", "in", ("open", "paid"))], order="id")
            return [(invoice.webo_subscription_id.user_id.id or invoice.create_uid.id, invoice.id)
                    for invoice in invoices]
        for uid, invoice_id in self.transaction(self.odoo.SUPERUSER_ID, collect):
            self.documents.append(("subscription", uid, invoice_id))

    def _issue_one(self, kind, work):
        try:
            uid, invoice_id = self.transaction(self.odoo.SUPERUSER_ID, work)
        except Exception as error:  # a refused e-invoice is an invalid document
            self.refused[kind].append(str(error).splitlines()[0][:300])
            return
        self.documents.append((kind, uid, invoice_id))

    # Checking

    def check(self, uid, invoice_id):
        """(valid, rules seconds, failures) of one document's stored PDF."""
        def work(env):
            invoice = env["account.invoice"].browse(invoice_id)
            pdf = base64.b64decode(invoice._webo_pdf_attachment().datas)
            return pdf, invoice.number, invoice.amount_untaxed, invoice.amount_tax, \
                invoice.amount_total, invoice.currency_id.rounding
        pdf, number, untaxed, tax, total, rounding = self.transaction(uid, work)
        filename, xml = self.facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
        started = time.perf_counter()
        failures = self.check_facturx(xml, cached=False)
        seconds = time.perf_counter() - started
        root = etree.fromstring(xml)

        def amount(tag):
            return float(root.xpath("//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:%s"
                                    % tag, namespaces=NS)[0].text)
        same = (filename == "factur-x.xml"
                and root.xpath("//rsm:ExchangedDocument/ram:ID", namespaces=NS)[0].text == number
                and abs(amount("TaxBasisTotalAmount") - untaxed) < rounding / 2
                and abs(amount("TaxTotalAmount") - tax) < rounding / 2
                and abs(amount("GrandTotalAmount") - total) < rounding / 2)
        return same and not failures, seconds, failures


def taxes(env, company):
    found = env["account.tax"].search([
        ("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
        ("amount_type", "=", "percent"), ("price_include", "=", False),
        ("amount", "in", (20.0, 10.0, 5.5))])
    by_rate = {}
    for tax in found:
        by_rate.setdefault(tax.amount, tax)
    return [by_rate[20.0], by_rate[10.0], by_rate[5.5]]


def rate_lines(env, company, index, count=None):
    """Lines at 20 %, 10 % and 5.5 % (none under the franchise)."""
    rates = [env["account.tax"]] if company.webo_vat_regime == "franchise" else taxes(env, company)
    count = count or 1 + index % 3
    return [{"name": "Prestation %d.%d" % (index, line), "quantity": 1 + line % 4,
             "price_unit": 99.99 + 37 * index + line,
             "invoice_line_tax_ids": [(6, 0, rates[line % len(rates)].ids)]}
            for line in range(count)]


def one_rate_lines(env, company, index):
    rate = company._webo_default_sale_tax()
    return [{"name": "Refonte du site %d" % index, "quantity": 1, "price_unit": 480.0 + index,
             "invoice_line_tax_ids": [(6, 0, rate.ids)]}]


def several_rate_lines(env, company, index):
    return rate_lines(env, company, index, count=3)


def long_lines(env, company, index):
    return rate_lines(env, company, index, count=40)


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    bench = Bench(odoo, database)
    bench.isolate_reports()
    bench.transaction(odoo.SUPERUSER_ID, open_sales_services)
    bench.transaction(odoo.SUPERUSER_ID, lambda env: env["res.partner"].create(dict(
        FOREIGN_CLIENT, company_id=env["res.users"].search([("login", "=", "julien")]).company_id.id,
        country_id=env.ref("base.be").id)))
    started = time.perf_counter()
    bench.issue("franchise", "claire", one_rate_lines, clients=["Boulangerie Dupont", "Sophie Moreau"])
    bench.issue("vat_20", "julien", one_rate_lines, "Garage Lefèvre SAS")
    bench.issue("rates", "julien", several_rate_lines, "Association Les Amis du Vélo")
    bench.issue_credit_notes()
    bench.issue("foreign", "julien", one_rate_lines, FOREIGN_CLIENT["name"])
    bench.issue("long", "julien", long_lines, "Garage Lefèvre SAS")
    bench.issue_subscriptions()
    print("issued %d documents (%d refused) in %.1f s" % (
        len(bench.documents), sum(map(len, bench.refused.values())), time.perf_counter() - started))

    valid, rules_seconds = defaultdict(int), []
    timed = time.perf_counter()
    for kind, uid, invoice_id in bench.documents:
        try:
            ok, seconds, failures = bench.check(uid, invoice_id)
        except Exception as error:  # shown, and counted as invalid
            print("%s %d: %s" % (kind, invoice_id, error))
            continue
        rules_seconds.append(seconds)
        valid[kind] += ok
        if failures:
            print("%s %d: %s" % (kind, invoice_id, "; ".join(
                "%s %s" % (failure.rule, failure.message[:120]) for failure in failures)))
    seconds = time.perf_counter() - timed
    kinds = sorted({kind for kind, _uid, _id in bench.documents} | set(bench.refused))
    total = 0
    for kind in kinds:
        issued = sum(1 for document in bench.documents if document[0] == kind)
        count = issued + len(bench.refused[kind])
        total += count
        print("%-12s %d/%d valid%s" % (kind, valid[kind], count, (
            " (refused at issue: %s)" % bench.refused[kind][0]) if bench.refused[kind] else ""))
    print("%d documents rendered, extracted and checked in %.1f s" % (len(bench.documents), seconds))
    print("rules check per document: mean %.1f ms, median %.1f ms, max %.1f ms" % (
        1000 * statistics.mean(rules_seconds or [0]), 1000 * statistics.median(rules_seconds or [0]),
        1000 * max(rules_seconds or [0])))
    print("RESULT valid=%d total=%d kinds=%d per_s=%.2f rules_ms=%.1f" % (
        sum(valid.values()), total, len(kinds), len(bench.documents) / seconds,
        1000 * statistics.mean(rules_seconds or [0])))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
