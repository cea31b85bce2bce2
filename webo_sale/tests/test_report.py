"""The legal French invoice (webo_sale.action_report_invoice): every mention
French law requires, read back from the real PDF (wkhtmltopdf, then
pdftotext) and from the HTML preview, in the client's language: French."""
import base64
import io
import subprocess
import tempfile
import time
from unittest.mock import patch

from lxml import html as lxml_html
from PyPDF2 import PdfFileReader

from odoo.tools import config
from odoo.tools.safe_eval import safe_eval

from .common import WeboWorkspaceCase, open_invoice

FRANCHISE_SENTENCE = "TVA non applicable, art. 293 B du CGI"


def flatten(text):
    """The words of a text separated by single spaces: the PDF and the
    monetary widget put no-break spaces and line breaks between them."""
    return " ".join(text.split())


def pdf_lines(pdf):
    """The lines of a PDF's text, laid out as printed (pdftotext -layout),
    flattened: a table row is one line."""
    result = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
                            input=pdf, stdout=subprocess.PIPE, check=True)
    return [flatten(line) for line in result.stdout.decode("utf-8").splitlines() if line.strip()]


def pdf_links(pdf):
    """The addresses the PDF's pages link to."""
    links = []
    for page in PdfFileReader(io.BytesIO(pdf)).pages:
        annotations = page.get("/Annots")
        for annotation in annotations.getObject() if annotations else []:
            action = annotation.getObject().get("/A")
            if action and "/URI" in action:
                links.append(action["/URI"])
    return links


class TestInvoiceReport(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.report = cls.env.ref("webo_sale.action_report_invoice")
        # wkhtmltopdf fetches the report's stylesheets from report.url: make
        # that fail at once instead of reaching whatever server listens on
        # web.base.url (the invoice carries its own styles).
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        cls.france = cls.env.ref("base.fr")

        # (a) A workspace subject to VAT invoicing a business client, at two rates.
        cls.workspace_a.write({
            "street": "12 rue de la République", "zip": "69002", "city": "Lyon",
            "email": "atelier-a@example.com", "phone": "04 72 00 00 00",
            "siret": "44306184100047", "vat": "FR64443061841",
            "company_registry": "RCS Lyon B 443 061 841",
        })
        cls.client_a.write({
            "name": "Boulangerie Dupont SARL", "lang": "fr_FR", "vat": "FR44732829320",
            "street": "3 place du Marché", "zip": "44000", "city": "Nantes", "country_id": cls.france.id,
        })
        tax_20 = cls.workspace_a._webo_default_sale_tax()
        tax_10 = cls.env["account.tax"].search([
            ("company_id", "=", cls.workspace_a.id), ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"), ("amount", "=", 10.0), ("price_include", "=", False)], limit=1)
        cls.invoice_a = cls._open_invoice(cls.workspace_a, cls.client_a, [
            ("Création du site vitrine", 1, 1000.0, tax_20),
            ("Formation à l'outil d'édition", 2, 100.0, tax_10),
        ])

        # (b) A workspace under the VAT franchise invoicing a private person.
        cls.workspace_b.write({"webo_vat_regime": "franchise", "webo_late_penalty_rate": 12.5, "vat": False,
                               "siret": "73282932000074"})
        cls.client_b.write({"name": "Julie Martin", "is_company": False, "lang": "fr_FR",
                            "street": "8 allée des Tilleuls", "zip": "35000", "city": "Rennes"})
        cls.invoice_b = cls._open_invoice(cls.workspace_b, cls.client_b, [
            ("Refonte du blog", 2, 250.0, cls.env["account.tax"]),
        ])

        # (c) The credit note that cancels invoice (a), made by its designer
        # (a credit note belongs to the company of the user who makes it).
        cls.credit_note = cls.invoice_a.sudo(cls.designer_a)._webo_new_credit_note().sudo()
        cls.credit_note.action_invoice_open()

        cls.pdf_a = cls._render_pdf(cls.invoice_a, cls.designer_a)
        cls.pdf_b = cls._render_pdf(cls.invoice_b, cls.designer_b)
        cls.pdf_credit_note = cls._render_pdf(cls.credit_note, cls.designer_a)

    @classmethod
    def _open_invoice(cls, company, partner, lines, **values):
        return open_invoice(cls.env, company, partner, lines, **values)

    @classmethod
    def _render_pdf(cls, invoices, user):
        """The PDF as the designer prints it. Under --test-enable Odoo
        renders HTML instead of calling wkhtmltopdf unless a report
        directory is configured."""
        with tempfile.TemporaryDirectory() as report_dir, \
                patch.dict(config.options, {"test_report_directory": report_dir}):
            pdf, kind = cls.report.sudo(user).render_qweb_pdf(invoices.ids)
        assert kind == "pdf" and pdf.startswith(b"%PDF"), "no PDF rendered"
        return pdf

    def _html_text(self, invoice, user):
        """The text of the HTML preview (the pages, as the invoice wizard shows them)."""
        html = self.report.sudo(user).render_qweb_html(invoice.ids)[0]
        pages = lxml_html.document_fromstring(html).xpath(
            "//div[contains(concat(' ', @class, ' '), ' page ')]")
        return flatten(" ".join(page.text_content() for page in pages))

    def assertLineWith(self, lines, *parts):
        """One line of the PDF holds every part: a label and its value."""
        matching = [line for line in lines if all(part in line for part in parts)]
        self.assertTrue(matching, "no line of the PDF holds %r:\n%s" % (parts, "\n".join(lines)))

    # (a) VAT-subject workspace, business client

    def test_vat_invoice_mentions_seller_client_and_document(self):
        lines = pdf_lines(self.pdf_a)
        text = " ".join(lines)
        number = self.invoice_a.number
        for mention in (
                "Facture %s" % number,
                # seller
                "Atelier A", "12 rue de la République", "69002 Lyon",
                "atelier-a@example.com", "04 72 00 00 00",
                "SIREN 443061841", "SIRET 44306184100047",
                "N° TVA intracommunautaire FR64443061841", "RCS Lyon B 443 061 841",
                # client
                "Boulangerie Dupont SARL", "3 place du Marché", "44000 Nantes",
                "N° TVA intracommunautaire FR44732829320",
                # document
                "Objet Création du site vitrine"):
            self.assertIn(mention, text)
        self.assertLineWith(lines, "Date", "02/03/2026")
        self.assertLineWith(lines, "Échéance", "01/04/2026")
        self.assertNotIn("France", text, "no country for addresses in the seller's country")

    def test_vat_invoice_lines_totals_and_breakdown_per_rate(self):
        lines = pdf_lines(self.pdf_a)
        for header in ("Description", "Quantité", "Prix unitaire HT", "TVA", "Total HT"):
            self.assertLineWith(lines, header)
        self.assertLineWith(lines, "Création du site vitrine", "1", "1 000,00 €", "20,0 %", "1 000,00 €")
        self.assertLineWith(lines, "Formation à l'outil d'édition", "2", "100,00 €", "10,0 %", "200,00 €")
        # one breakdown line per rate: rate, base, VAT amount
        self.assertLineWith(lines, "Taux de TVA", "Base HT", "Montant de TVA")
        self.assertLineWith(lines, "20,0 % 1 000,00 € 200,00 €")
        self.assertLineWith(lines, "10,0 % 200,00 € 20,00 €")
        self.assertLineWith(lines, "Total HT", "1 200,00 €")
        self.assertLineWith(lines, "Total TTC", "1 420,00 €")
        self.assertLineWith(lines, "Reste à payer", "1 420,00 €")
        self.assertEqual(self.invoice_a._webo_amount_in_words(), "mille quatre cent vingt euros")
        self.assertIn("Montant en toutes lettres : mille quatre cent vingt euros", " ".join(lines))

    def test_vat_invoice_payment_conditions_and_link(self):
        text = " ".join(pdf_lines(self.pdf_a))
        self.assertIn("Pas d'escompte pour paiement anticipé.", text)
        self.assertIn("pénalités sont exigibles dès le lendemain de la date d'échéance, "
                      "au taux annuel de 10,00 %", text)
        self.assertIn("Indemnité forfaitaire pour frais de recouvrement en cas de retard "
                      "de paiement : 40 €", text)
        url = self.invoice_a.webo_payment_url
        self.assertIn("/my/invoices/%d?access_token=" % self.invoice_a.id, url)
        self.assertIn("Réglez cette facture en ligne %s" % url, text)
        self.assertIn(url, pdf_links(self.pdf_a), "the printed address is also a link")

    def test_vat_invoice_html_preview(self):
        text = self._html_text(self.invoice_a, self.designer_a)
        for mention in ("Facture %s" % self.invoice_a.number, "SIRET 44306184100047",
                        "N° TVA intracommunautaire FR44732829320", "Échéance 01/04/2026",
                        "Total TTC 1 420,00 €", "mille quatre cent vingt euros",
                        "au taux annuel de 10,00 %", "40 €", self.invoice_a.webo_payment_url):
            self.assertIn(mention, text)
        self.assertNotIn(FRANCHISE_SENTENCE, text)

    # (b) VAT franchise, private client

    def test_franchise_invoice_has_no_vat_and_states_art_293_b(self):
        lines = pdf_lines(self.pdf_b)
        text = " ".join(lines)
        for mention in ("Facture %s" % self.invoice_b.number, "Atelier B",
                        "SIREN 732829320", "SIRET 73282932000074",
                        "Julie Martin", "8 allée des Tilleuls", "35000 Rennes",
                        FRANCHISE_SENTENCE, "cinq cents euros",
                        "au taux annuel de 12,50 %", "Pas d'escompte",
                        self.invoice_b.webo_payment_url):
            self.assertIn(mention, text)
        self.assertLineWith(lines, "Refonte du blog", "2", "250,00 €", "500,00 €")
        self.assertLineWith(lines, "Net à payer", "500,00 €")
        for absent in ("Taux de TVA", "Montant de TVA", "Total TTC", "20,0 %",
                       "N° TVA intracommunautaire", "RCS"):
            self.assertNotIn(absent, text)
        self.assertNotIn("recouvrement", text, "a private client owes no recovery indemnity")
        self.assertNotIn("40 €", text)

    def test_franchise_invoice_html_preview(self):
        text = self._html_text(self.invoice_b, self.designer_b)
        self.assertIn(FRANCHISE_SENTENCE, text)
        self.assertIn("Facture %s" % self.invoice_b.number, text)
        self.assertIn("cinq cents euros", text)
        self.assertNotIn("Total TTC", text)
        self.assertNotIn("recouvrement", text)

    # (c) Credit note

    def test_credit_note_refers_to_the_invoice_it_cancels(self):
        lines = pdf_lines(self.pdf_credit_note)
        text = " ".join(lines)
        self.assertEqual(self.credit_note.refund_invoice_id, self.invoice_a)
        self.assertIn("Avoir %s" % self.credit_note.number, text)
        self.assertIn("Avoir sur la facture %s du 02/03/2026" % self.invoice_a.number, text)
        self.assertNotIn("Facture %s" % self.credit_note.number, text)
        self.assertLineWith(lines, "Total TTC", "1 420,00 €")
        self.assertIn("mille quatre cent vingt euros", text)
        # nothing to pay on a credit note
        for absent in ("Échéance", "Reste à payer", "Réglez cette facture"):
            self.assertNotIn(absent, text)
        self.assertIn("Consultez cet avoir en ligne", text)
        self.assertIn(self.credit_note.number, self._html_text(self.credit_note, self.designer_a))

    # The issued PDF

    def test_issued_pdf_is_stored_under_its_number_and_reused(self):
        attachment = self.report.retrieve_attachment(self.invoice_a)
        self.assertEqual(attachment.datas_fname, "%s.pdf" % self.invoice_a.number.replace("/", "-"))
        self.workspace_a.webo_late_penalty_rate = 15.0
        again = self._render_pdf(self.invoice_a, self.designer_a)
        self.assertEqual(again, base64.b64decode(attachment.datas), "the stored PDF, not a new one")
        self.assertIn("au taux annuel de 10,00 %", " ".join(pdf_lines(again)))

    def test_draft_is_not_stored(self):
        draft = self._create_invoice(self.workspace_a, self.client_a)
        self.assertFalse(self.report.retrieve_attachment(draft))
        self.assertIn("Brouillon", self._html_text(draft, self.designer_a))

    def test_download_name(self):
        def name(invoice):
            return safe_eval(self.report.print_report_name, {"object": invoice, "time": time})
        self.assertEqual(name(self.invoice_a), "Facture %s" % self.invoice_a.number)
        self.assertEqual(name(self.credit_note), "Avoir %s" % self.credit_note.number)

    def test_printing_a_selection_gives_every_invoice(self):
        # Dated as the credit note issued last in the journal (numbers follow dates).
        second = self._open_invoice(self.workspace_a, self.client_a, [
            ("Maintenance annuelle", 1, 300.0, self.workspace_a._webo_default_sale_tax())],
            date_invoice=self.credit_note.date_invoice)
        drafts = self._create_invoice(self.workspace_a, self.client_a)
        pdf = self._render_pdf(second | drafts, self.designer_a)
        text = " ".join(pdf_lines(pdf))
        self.assertIn("Facture %s" % second.number, text)
        self.assertIn("Brouillon", text)
        self.assertGreaterEqual(PdfFileReader(io.BytesIO(pdf)).getNumPages(), 2)
