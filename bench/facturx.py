"""Factur-X of 200 invoices: generated, embedded, read back and validated.

In-process (no server), on the benchmark's fresh database with the demo
data. 200 invoices are issued first (100 by claire, under the VAT
franchise, 100 by julien, subject to VAT; one to three lines each, at
20 % and 10 % for julien), without their PDF. Then, timed, for each invoice
in its own transaction, as its designer: the stored legal PDF is rendered
(QWeb, wkhtmltopdf) with its Factur-X XML embedded (what sending an invoice
does), then the XML is extracted back from that PDF with the factur-x
library, checked against the EN 16931 schema, and its number, totals and
VAT amount compared with the invoice's.

Output: a few lines, then
``RESULT valid=<invoices whose Factur-X passed> total=<invoices> per_s=<invoices per second>``
(per_s counts the timed part: render, embed, extract, validate). Goal:
valid = total. The database is throw-away.
"""
import base64
import datetime
import importlib.util
import os
import sys
import time

from lxml import etree

HERE = os.path.dirname(os.path.abspath(__file__))
# This script is named like the factur-x library (``facturx``), which the
# addon imports: keep its folder off the import path.
sys.path[:] = [path for path in sys.path if os.path.abspath(path or os.curdir) != HERE]
_spec = importlib.util.spec_from_file_location("send_invoices", os.path.join(HERE, "send_invoices.py"))
send_invoices = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(send_invoices)
load_odoo = send_invoices.load_odoo

INVOICES_PER_DESIGNER = 100
DESIGNERS = {"claire": "Boulangerie Dupont", "julien": "Garage Lefèvre SAS"}
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


class Bench:
    def __init__(self, odoo, database):
        self.odoo = odoo
        self.registry = odoo.registry(database)
        import facturx

        self.facturx = facturx

    def isolate_reports(self):
        """wkhtmltopdf fetches the report's stylesheets from report.url (else
        web.base.url): make that fail at once instead of waiting on whatever
        server answers there; the invoice carries its own styles."""
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            self.env(cr, self.odoo.SUPERUSER_ID)["ir.config_parameter"].set_param(
                "report.url", "http://127.0.0.1:9")

    def env(self, cr, uid):
        return self.odoo.api.Environment(cr, uid, {})

    def issue(self, login, client_name, count):
        """``count`` validated invoices of ``login``'s workspace, without their PDF."""
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            env = self.env(cr, self.odoo.SUPERUSER_ID)
            user = env["res.users"].search([("login", "=", login)])
            env = self.env(cr, user.id)
            company = user.company_id
            client = env["res.partner"].search([("name", "ilike", client_name), ("parent_id", "=", False)],
                                               limit=1)
            journal = env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
            taxes = env["account.tax"].search([
                ("company_id", "=", company.id), ("type_tax_use", "=", "sale"),
                ("amount_type", "=", "percent"), ("price_include", "=", False),
                ("amount", "in", (20.0, 10.0))])
            by_rate = {}
            for tax in taxes:
                by_rate.setdefault(tax.amount, tax)
            rates = [by_rate[20.0], by_rate[10.0]]
            if company.webo_vat_regime == "franchise":
                rates = [env["account.tax"]]
            today = datetime.date.today()
            ids = []
            for index in range(count):
                lines = [(0, 0, {
                    "name": "Prestation %d.%d" % (index, line),
                    "quantity": 1 + line,
                    "price_unit": 99.99 + 37 * index + line,
                    "account_id": journal.default_credit_account_id.id,
                    "invoice_line_tax_ids": [(6, 0, rates[line % len(rates)].ids)],
                }) for line in range(1 + index % 3)]
                invoice = env["account.invoice"].create({
                    "partner_id": client.id, "company_id": company.id, "journal_id": journal.id,
                    "name": "Bench Factur-X %d" % index, "date_invoice": today.isoformat(),
                    "date_due": (today + datetime.timedelta(days=30)).isoformat(),
                    "invoice_line_ids": lines})
                invoice.action_invoice_open()
                ids.append(invoice.id)
            cr.commit()
            return user.id, ids

    def check(self, uid, invoice_id):
        """Render and embed, extract and validate: True when the Factur-X
        read back from the stored PDF is valid and says what the invoice says."""
        with self.odoo.api.Environment.manage(), self.registry.cursor() as cr:
            invoice = self.env(cr, uid)["account.invoice"].browse(invoice_id)
            pdf = base64.b64decode(invoice._webo_pdf_attachment().datas)
            cr.commit()
            filename, xml = self.facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
            if filename != "factur-x.xml":
                return False
            self.facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
            root = etree.fromstring(xml)

            def amount(tag):
                return float(root.xpath("//ram:%s" % tag, namespaces=NS)[0].text)

            currency = invoice.currency_id
            return (root.xpath("//rsm:ExchangedDocument/ram:ID", namespaces=NS)[0].text == invoice.number
                    and currency.compare_amounts(amount("TaxBasisTotalAmount"), invoice.amount_untaxed) == 0
                    and currency.compare_amounts(amount("TaxTotalAmount"), invoice.amount_tax) == 0
                    and currency.compare_amounts(amount("GrandTotalAmount"), invoice.amount_total) == 0)


def main():
    database = os.environ["WEBO_BENCH_DB"]
    odoo = load_odoo(database)
    bench = Bench(odoo, database)
    bench.isolate_reports()
    started = time.perf_counter()
    work = []
    for login, client in DESIGNERS.items():
        uid, ids = bench.issue(login, client, INVOICES_PER_DESIGNER)
        work += [(uid, invoice_id) for invoice_id in ids]
    print("issued %d invoices without their PDF (%.1f s)" % (len(work), time.perf_counter() - started))

    valid = 0
    timed = time.perf_counter()
    for uid, invoice_id in work:
        try:
            valid += bench.check(uid, invoice_id)
        except Exception as error:  # an invalid Factur-X counts as such, and is shown
            print("invoice %d: %s" % (invoice_id, error))
    seconds = time.perf_counter() - timed
    print("%d invoices rendered, embedded, extracted and validated in %.1f s" % (len(work), seconds))
    print("RESULT valid=%d total=%d per_s=%.2f" % (valid, len(work), len(work) / seconds))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
