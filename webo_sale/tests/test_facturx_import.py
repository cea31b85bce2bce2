"""Factur-X reception: a designer imports their supplier's Factur-X PDF
(here, an invoice another workspace issued to them) as a vendor bill of
their workspace; bad files and duplicates are refused, nothing written."""
import base64
import io

import facturx
from lxml import etree
from pypdf import PdfWriter

from odoo.exceptions import AccessError, UserError

from ..facturx_cii import quiet_facturx_errors
from .common import WeboWorkspaceCase, open_invoice
from .test_facturx import real_pdfs

SUPPLIER_SIRET = "73282932000074"
SUPPLIER_VAT = "FR44732829320"
BUYER_SIRET = "44306184100047"
BUYER_VAT = "FR64443061841"


class TestFacturxImport(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        # The supplier: workspace B, subject to VAT; the buyer: workspace A,
        # one of B's clients.
        cls.workspace_a.write({"siret": BUYER_SIRET, "vat": BUYER_VAT})
        cls.workspace_b.write({"siret": SUPPLIER_SIRET, "vat": SUPPLIER_VAT, "street": "5 rue Crébillon",
                               "zip": "44000", "city": "Nantes", "email": "studio-b@example.com"})
        cls.client_b.write({"name": "Atelier A", "siret": BUYER_SIRET, "vat": BUYER_VAT})
        tax_20 = cls.workspace_b._webo_default_sale_tax()
        cls.supplier_invoice = open_invoice(cls.env, cls.workspace_b, cls.client_b, [
            ("Hébergement annuel", 3, 33.33, tax_20),
            ("Nom de domaine", 1, 12.0, tax_20),
        ])
        with real_pdfs():
            cls.pdf = base64.b64decode(cls.supplier_invoice.sudo(cls.designer_b)._webo_pdf_attachment().datas)
            # A plain PDF: what wkhtmltopdf gives for a draft.
            draft = cls._create_invoice(cls.workspace_b, cls.client_b)
            cls.plain_pdf, _kind = cls.env.ref("webo_sale.action_report_invoice").render_qweb_pdf(draft.ids)
        cls.Invoice = cls.env["account.invoice"].sudo(cls.designer_a)

    def _import(self, pdf, filename="facture.pdf", user=None):
        invoices = self.env["account.invoice"].sudo(user or self.designer_a)
        return invoices.browse(invoices.webo_import_facturx(base64.b64encode(pdf), filename))

    def _counts(self):
        return (self.env["account.invoice"].search_count([]),
                self.env["res.partner"].with_context(active_test=False).search_count([]),
                self.env["ir.attachment"].search_count([]))

    def assertRefused(self, pdf, *fragments, filename="facture.pdf"):
        """The import is refused with a message holding ``fragments`` (in
        French: the designer's language), and nothing is written."""
        before = self._counts()
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            self._import(pdf, filename)
        for fragment in fragments:
            self.assertIn(fragment, refused.exception.name)
        self.assertEqual(self._counts(), before, "the refused import wrote something")

    def test_import_makes_a_draft_vendor_bill_and_the_supplier(self):
        bill = self._import(self.pdf)
        source = self.supplier_invoice
        self.assertEqual(bill.type, "in_invoice")
        self.assertEqual(bill.state, "draft")
        self.assertEqual(bill.company_id, self.workspace_a)
        self.assertEqual(bill.reference, source.number)
        self.assertEqual(bill.date_invoice, source.date_invoice)
        self.assertEqual(bill.date_due, source.date_due)
        self.assertEqual(bill.currency_id.compare_amounts(bill.amount_untaxed, source.amount_untaxed), 0)
        self.assertEqual(bill.currency_id.compare_amounts(bill.amount_tax, source.amount_tax), 0)
        self.assertEqual(bill.currency_id.compare_amounts(bill.amount_total, source.amount_total), 0)
        self.assertEqual(bill.invoice_line_ids.mapped("name"), ["Hébergement annuel", "Nom de domaine"])
        self.assertEqual(bill.invoice_line_ids.mapped("quantity"), [3.0, 1.0])
        self.assertEqual(bill.invoice_line_ids.mapped("invoice_line_tax_ids.type_tax_use"), ["purchase"])
        self.assertEqual(bill.invoice_line_ids.mapped("invoice_line_tax_ids.amount"), [20.0])
        supplier = bill.partner_id
        self.assertEqual((supplier.name, supplier.siret, supplier.vat, supplier.company_id),
                         ("Atelier B", SUPPLIER_SIRET, SUPPLIER_VAT, self.workspace_a))
        self.assertTrue(supplier.supplier)
        self.assertEqual((supplier.zip, supplier.city, supplier.email),
                         ("44000", "Nantes", "studio-b@example.com"))
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "account.invoice"), ("res_id", "=", bill.id)])
        self.assertEqual(base64.b64decode(attachment.datas), self.pdf)
        # the other workspace sees neither the bill nor the supplier made for it
        with self.assertRaises(AccessError):
            bill.sudo(self.designer_b).read(["reference"])
        with self.assertRaises(AccessError):
            supplier.sudo(self.designer_b).read(["name"])

    def test_base64_with_line_breaks_is_read(self):
        content = base64.encodebytes(self.pdf).decode("ascii")
        self.assertIn("\n", content)
        bill_id = self.Invoice.webo_import_facturx(content, "facture.pdf")
        self.assertEqual(self.env["account.invoice"].browse(bill_id).reference, self.supplier_invoice.number)

    def test_known_supplier_is_found_by_vat_number(self):
        known = self.env["res.partner"].sudo(self.designer_a).create({
            "name": "Studio B (fournisseur)", "is_company": True, "supplier": True,
            "vat": SUPPLIER_VAT})
        bill = self._import(self.pdf)
        self.assertEqual(bill.partner_id, known)

    def test_a_supplier_known_to_another_workspace_is_not_used(self):
        other = self.env["res.partner"].sudo(self.designer_b).create({
            "name": "Atelier B chez B", "is_company": True, "siret": SUPPLIER_SIRET})
        bill = self._import(self.pdf)
        self.assertNotEqual(bill.partner_id, other)
        self.assertEqual(bill.partner_id.company_id, self.workspace_a)

    def test_duplicate_is_refused(self):
        self._import(self.pdf)
        self.assertRefused(self.pdf, self.supplier_invoice.number, "Atelier B", "est déjà enregistrée")

    def test_not_a_pdf_is_refused(self):
        self.assertRefused(b"Bonjour, voici ma facture.", "notes.txt n'est pas un PDF", filename="notes.txt")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            self.Invoice.webo_import_facturx("not base64!", "x.pdf")

    def test_damaged_pdf_is_refused(self):
        self.assertRefused(b"%PDF-1.4\nnothing else", "PDF endommagé")

    def test_pdf_without_facturx_is_refused(self):
        blank = io.BytesIO()
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        writer.write(blank)
        self.assertRefused(blank.getvalue(), "ne contient pas de XML Factur-X")
        self.assertRefused(self.plain_pdf, "ne contient pas de XML Factur-X")

    def test_xml_failing_the_schema_is_refused(self):
        xml = self.supplier_invoice._webo_facturx_xml().replace(
            b"<ram:GrandTotalAmount>", b"<ram:GrandTotal>").replace(
            b"</ram:GrandTotalAmount>", b"</ram:GrandTotal>")
        with self.assertRaisesRegex(Exception, "XML Schema Definition"), quiet_facturx_errors():
            facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
        broken = facturx.generate_from_binary(
            self.plain_pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
            pdf_metadata={"author": "x", "keywords": "x", "title": "x", "subject": "x"})
        self.assertRefused(broken, "ne respecte pas le schéma Factur-X", "GrandTotal")

    def test_invoice_addressed_to_another_company_is_refused(self):
        self.workspace_a.write({"siret": "90830166600016", "vat": False})
        self.assertRefused(self.pdf, "adressée à Atelier A", "pas à votre espace")

    def test_wizard_opens_the_imported_bill(self):
        wizard = self.env["webo.facturx.import"].sudo(self.designer_a).create({
            "data": base64.b64encode(self.pdf), "filename": "facture-b.pdf"})
        action = wizard.action_import()
        bill = self.env["account.invoice"].browse(action["res_id"])
        self.assertEqual((action["res_model"], bill.type, bill.company_id),
                         ("account.invoice", "in_invoice", self.workspace_a))

    def test_designer_finds_the_import_menu_in_french(self):
        menus = self.env["ir.ui.menu"].sudo(self.designer_a).with_context(lang="fr_FR")
        parent = self.env.ref("webo_sale.menu_supplier_bills")
        names = menus.search([("parent_id", "=", parent.id)]).mapped("name")
        self.assertEqual(names, ["Factures fournisseur", "Importer une facture fournisseur (Factur-X)"])

    def test_rules_the_supplier_fails_are_shown_in_french_on_the_draft_bill(self):
        """A supplier's XML that passes the schema but fails official rules
        (no seller VAT number on an invoice with VAT: BR-S-02; no billing
        framework: BR-FR-08) still becomes a draft bill, which names the
        rules in French on its form and in its history."""
        root = etree.fromstring(self.supplier_invoice._webo_facturx_xml())
        ram = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"
        root.find(".//%sBusinessProcessSpecifiedDocumentContextParameter/%sID" % (ram, ram)).text = "XX"
        vat = root.find(".//%sSellerTradeParty/%sSpecifiedTaxRegistration" % (ram, ram))
        vat.getparent().remove(vat)
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        self.assertTrue(facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931"))
        failing = facturx.generate_from_binary(
            self.plain_pdf, xml, flavor="factur-x", level="en16931", check_xsd=False,
            pdf_metadata={"author": "x", "keywords": "x", "title": "x", "subject": "x"})
        bill = self._import(failing).with_context(lang="fr_FR")
        self.assertEqual(bill.state, "draft")
        self.assertIn("BR-S-02 (EN16931)", bill.webo_facturx_rule_failures)
        self.assertIn("BR-FR-08_BT-23 (BR-FR)", bill.webo_facturx_rule_failures)
        message = bill.message_ids.filtered(lambda m: "BR-FR-08" in (m.body or ""))
        self.assertRegex(message.body, r"ne respecte pas \d+ des règles officielles")
        view = self.env.ref("webo_sale.account_invoice_supplier_form_facturx_rules")
        self.assertIn("webo_facturx_rule_failures", view.arch)

    def test_a_valid_supplier_invoice_has_no_rule_failure(self):
        self.assertFalse(self._import(self.pdf).webo_facturx_rule_failures)
