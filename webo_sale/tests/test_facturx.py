"""Factur-X: the EN 16931 XML inside the stored PDF of every issued invoice
and credit note, read back from the real PDF (wkhtmltopdf, then the
factur-x library) and compared with the invoice; and the reception of a
supplier's Factur-X PDF as a vendor bill, with every refusal."""
import base64
import io
import tempfile
from contextlib import contextmanager
from unittest.mock import patch

import facturx
from lxml import etree
from pypdf import PdfReader
from pypdf.generic import ContentStream

from odoo.exceptions import AccessError, UserError
from odoo.tools import config, float_compare

from .common import TEST_IBAN, WeboWorkspaceCase, open_invoice
from .test_report import pdf_lines

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
# Another account of the workspace's, not the one its clients pay into.
OTHER_IBAN = "FR1420041010050500013M02606"
SELLER_A_SIRET = "44306184100047"
SELLER_A_VAT = "FR64443061841"
CLIENT_A_VAT = "FR44732829320"
SELLER_B_SIRET = "73282932000074"


@contextmanager
def real_pdfs():
    """Under --test-enable Odoo renders HTML instead of calling wkhtmltopdf
    unless a report directory is configured."""
    with tempfile.TemporaryDirectory() as report_dir, \
            patch.dict(config.options, {"test_report_directory": report_dir}):
        yield


def xml_of(pdf):
    """The Factur-X XML the PDF carries, checked against the schema by the library."""
    filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml", "no valid Factur-X XML in the PDF"
    return etree.fromstring(xml)


def values(root, path):
    return [node.text for node in root.xpath(path, namespaces=NS)]


def value(root, path):
    found = values(root, path)
    assert len(found) == 1, "%s: %r" % (path, found)
    return found[0]


class TestFacturx(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")
        cls.france = cls.env.ref("base.fr")
        # (a) subject to VAT; client payments land on the payment-receiving
        # account its opening made
        cls.workspace_a.write({
            "street": "12 rue de la République", "zip": "69002", "city": "Lyon",
            "email": "atelier-a@example.com", "siret": SELLER_A_SIRET, "vat": SELLER_A_VAT,
        })
        cls.bank_a = cls.env["webo.sale.service"]._webo_for_company(cls.workspace_a).bank_account_id
        cls.client_a.write({
            "name": "Boulangerie Dupont SARL", "vat": CLIENT_A_VAT, "siret": SELLER_B_SIRET,
            "street": "3 place du Marché", "zip": "44000", "city": "Nantes",
            "country_id": cls.france.id, "lang": "fr_FR",
        })
        tax_20 = cls.workspace_a._webo_default_sale_tax()
        tax_10 = cls.env["account.tax"].search([
            ("company_id", "=", cls.workspace_a.id), ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"), ("amount", "=", 10.0), ("price_include", "=", False)],
            limit=1)
        cls.invoice_a = cls._open_invoice(cls.workspace_a, cls.client_a, [
            ("Création du site vitrine", 1, 1000.0, tax_20),
            ("Formation à l'outil d'édition", 2, 100.0, tax_10),
        ])
        # (b) VAT franchise
        cls.workspace_b.write({"webo_vat_regime": "franchise", "siret": SELLER_B_SIRET, "vat": False,
                               "zip": "35000", "city": "Rennes"})
        cls.client_b.write({"lang": "fr_FR", "is_company": False, "email": "client-b@example.com"})
        cls.invoice_b = cls._open_invoice(cls.workspace_b, cls.client_b, [
            ("Refonte du blog", 2, 250.0, cls.env["account.tax"])])
        # (c) the credit note that cancels (a)
        cls.credit_note = cls.invoice_a.sudo(cls.designer_a)._webo_new_credit_note().sudo()
        cls.credit_note.action_invoice_open()
        with real_pdfs():
            cls.pdf_a = cls._stored_pdf(cls.invoice_a, cls.designer_a)
            cls.pdf_b = cls._stored_pdf(cls.invoice_b, cls.designer_b)
            cls.pdf_credit_note = cls._stored_pdf(cls.credit_note, cls.designer_a)
        cls.xml_a = xml_of(cls.pdf_a)
        cls.xml_b = xml_of(cls.pdf_b)
        cls.xml_credit_note = xml_of(cls.pdf_credit_note)

    @classmethod
    def _open_invoice(cls, company, partner, lines, **values):
        return open_invoice(cls.env, company, partner, lines, **values)

    @classmethod
    def _stored_pdf(cls, invoice, user):
        """The stored legal PDF, as the designer's sending makes it."""
        attachment = invoice.sudo(user)._webo_pdf_attachment()
        return base64.b64decode(attachment.datas)

    def assertAmount(self, text, amount, currency):
        self.assertEqual(float_compare(float(text), amount, precision_rounding=currency.rounding), 0,
                         "%s != %s" % (text, amount))

    # The issued document

    def test_stored_pdf_is_a_pdfa3_with_the_xml_and_still_reads_as_the_invoice(self):
        reader = PdfReader(io.BytesIO(self.pdf_a))
        self.assertIn("factur-x.xml", reader.attachments)
        metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
        self.assertIn(b"<pdfaid:part>3</pdfaid:part>", metadata)
        self.assertIn(b"EN 16931", metadata)
        self.assertIn("Facture %s" % self.invoice_a.number, " ".join(pdf_lines(self.pdf_a)))
        # printed again: the very same bytes, the XML included
        with real_pdfs():
            again, _kind = self.env.ref("webo_sale.action_report_invoice").sudo(
                self.designer_a).render_qweb_pdf(self.invoice_a.ids)
        self.assertEqual(again, self.pdf_a)

    def test_invoice_xml_has_the_invoice_totals_vat_and_identifiers(self):
        root, invoice, currency = self.xml_a, self.invoice_a, self.invoice_a.currency_id
        self.assertEqual(value(root, "//rsm:ExchangedDocument/ram:ID"), invoice.number)
        self.assertEqual(value(root, "//rsm:ExchangedDocument/ram:TypeCode"), "380")
        self.assertEqual(value(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"),
                         "urn:cen.eu:en16931:2017")
        self.assertEqual(value(root, "//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
                         "20260302")
        totals = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:"
        self.assertAmount(value(root, totals + "TaxBasisTotalAmount"), invoice.amount_untaxed, currency)
        self.assertAmount(value(root, totals + "TaxTotalAmount"), invoice.amount_tax, currency)
        self.assertAmount(value(root, totals + "GrandTotalAmount"), invoice.amount_total, currency)
        self.assertAmount(value(root, totals + "DuePayableAmount"), 1420.0, currency)
        # one VAT breakdown per rate
        breakdown = {
            node.findtext("ram:RateApplicablePercent", namespaces=NS): (
                node.findtext("ram:CategoryCode", namespaces=NS),
                float(node.findtext("ram:BasisAmount", namespaces=NS)),
                float(node.findtext("ram:CalculatedAmount", namespaces=NS)))
            for node in root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax",
                                   namespaces=NS)}
        self.assertEqual(breakdown, {"20.00": ("S", 1000.0, 200.0), "10.00": ("S", 200.0, 20.0)})
        # lines
        self.assertEqual(values(root, "//ram:SpecifiedTradeProduct/ram:Name"),
                         ["Création du site vitrine", "Formation à l'outil d'édition"])
        self.assertEqual(values(root, "//ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"),
                         ["1.0000", "2.0000"])
        self.assertEqual(values(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/"
                                      "ram:LineTotalAmount"), ["1000.00", "200.00"])
        # seller and buyer identifiers
        seller = "//ram:SellerTradeParty/"
        self.assertEqual(value(root, seller + "ram:Name"), "Atelier A")
        self.assertEqual(value(root, seller + "ram:GlobalID[@schemeID='0009']"), SELLER_A_SIRET)
        self.assertEqual(value(root, seller + "ram:SpecifiedLegalOrganization/ram:ID[@schemeID='0002']"),
                         SELLER_A_SIRET[:9])
        self.assertEqual(value(root, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
                         SELLER_A_VAT)
        buyer = "//ram:BuyerTradeParty/"
        self.assertEqual(value(root, buyer + "ram:Name"), "Boulangerie Dupont SARL")
        self.assertEqual(value(root, buyer + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
                         CLIENT_A_VAT)
        self.assertEqual(value(root, buyer + "ram:GlobalID[@schemeID='0009']"), SELLER_B_SIRET)
        self.assertEqual(value(root, buyer + "ram:PostalTradeAddress/ram:CountryID"), "FR")
        # payment: due date, terms, the IBAN of the receiving account
        self.assertEqual(value(root, "//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                                     "udt:DateTimeString"), "20260401")
        self.assertIn("01/04/2026", value(root, "//ram:SpecifiedTradePaymentTerms/ram:Description"))
        self.assertEqual(self.invoice_a._webo_receiving_bank_account(), self.bank_a)
        self.assertEqual(value(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode"), "58")
        self.assertEqual(value(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID"), TEST_IBAN)
        notes = values(root, "//ram:IncludedNote/ram:SubjectCode")
        self.assertEqual(sorted(notes), ["AAB", "BAR", "PMD", "PMT"])

    def test_franchise_invoice_states_art_293_b(self):
        root = self.xml_b
        tax = root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)
        self.assertEqual(len(tax), 1)
        self.assertEqual(tax[0].findtext("ram:CategoryCode", namespaces=NS), "E")
        self.assertEqual(tax[0].findtext("ram:ExemptionReason", namespaces=NS),
                         "TVA non applicable, art. 293 B du CGI")
        self.assertEqual(tax[0].findtext("ram:ExemptionReasonCode", namespaces=NS), "VATEX-FR-FRANCHISE")
        self.assertEqual(tax[0].findtext("ram:BasisAmount", namespaces=NS), "500.00")
        self.assertEqual(tax[0].findtext("ram:CalculatedAmount", namespaces=NS), "0.00")
        self.assertEqual(value(root, "//ram:TaxTotalAmount"), "0.00")
        self.assertEqual(value(root, "//ram:GrandTotalAmount"), "500.00")
        self.assertEqual(values(root, "//ram:SpecifiedLineTradeSettlement//ram:CategoryCode"), ["E"])
        # no VAT number: the SIREN as tax registration identifier (BR-E-02)
        self.assertEqual(values(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID"),
                         [SELLER_B_SIRET[:9]])
        self.assertEqual(root.xpath("//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID/"
                                    "@schemeID", namespaces=NS), ["FC"])
        # the payment-receiving account, as on every invoice sent (sending
        # needs the sales service open); the XML is valid
        self.assertEqual(value(root, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID"), TEST_IBAN)
        self.assertTrue(facturx.xml_check_xsd(etree.tostring(root), flavor="factur-x", level="en16931"))
        # a private client owes no recovery indemnity: the note (which
        # BR-FR-05 wants on every invoice) says so
        self.assertIn("non applicable", value(root, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content"))

    def test_receiving_account_comes_before_the_invoice_one(self):
        other = self.env["res.partner.bank"].create({
            "acc_number": OTHER_IBAN, "partner_id": self.workspace_a.partner_id.id,
            "company_id": self.workspace_a.id})
        # Dated as the credit note issued last in the journal (numbers follow dates).
        invoice = self._open_invoice(self.workspace_a, self.client_a, [
            ("Maintenance", 1, 100.0, self.workspace_a._webo_default_sale_tax())],
            partner_bank_id=other.id, date_invoice=self.credit_note.date_invoice)
        self.assertEqual(invoice._webo_receiving_bank_account(), self.bank_a)
        root = etree.fromstring(invoice._webo_facturx_xml())
        self.assertEqual(value(root, "//ram:IBANID"), TEST_IBAN)

    def test_credit_note_has_type_381_and_refers_to_the_invoice(self):
        root = self.xml_credit_note
        self.assertEqual(value(root, "//rsm:ExchangedDocument/ram:ID"), self.credit_note.number)
        self.assertEqual(value(root, "//rsm:ExchangedDocument/ram:TypeCode"), "381")
        self.assertEqual(value(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
                         self.invoice_a.number)
        self.assertEqual(value(root, "//ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/"
                                     "qdt:DateTimeString"), "20260302")
        self.assertEqual(value(root, "//ram:GrandTotalAmount"), "1420.00")
        self.assertEqual(value(root, "//ram:TaxTotalAmount"), "220.00")

    def test_draft_has_no_facturx(self):
        draft = self._create_invoice(self.workspace_a, self.client_a)
        with self.assertRaises(UserError):
            draft._webo_facturx_xml()
        with self.assertRaises(UserError):
            draft.sudo(self.designer_a).webo_facturx_pdf()

    # The API's download

    def test_designer_downloads_the_stored_facturx_pdf(self):
        content = self.invoice_a.sudo(self.designer_a).webo_facturx_pdf()
        self.assertEqual(base64.b64decode(content), self.pdf_a)

    def test_another_designer_cannot_download_it(self):
        with self.assertRaises(AccessError):
            self.invoice_a.sudo(self.designer_b).webo_facturx_pdf()


    # The issued PDF is a PDF/A-3b in fact, not only in its XMP: what a
    # PDF/A validator checks first, read back with pypdf (no full PDF/A
    # validator is at hand).

    XMP = {
        "x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "dc": "http://purl.org/dc/elements/1.1/", "pdf": "http://ns.adobe.com/pdf/1.3/",
        "xmp": "http://ns.adobe.com/xap/1.0/", "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
        "fx": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    }

    def _reader(self, pdf):
        return PdfReader(io.BytesIO(pdf))

    def test_pdfa_header_identifiers_and_no_encryption(self):
        for pdf in (self.pdf_a, self.pdf_b, self.pdf_credit_note):
            reader = self._reader(pdf)
            self.assertTrue(pdf.startswith(b"%PDF-1.7\n"))
            self.assertFalse(reader.is_encrypted)
            identifiers = reader.trailer["/ID"]
            self.assertEqual(len(identifiers), 2)
            self.assertEqual(len(identifiers[0]), 16)

    def test_pdfa_srgb_output_intent_with_its_icc_profile(self):
        intents = self._reader(self.pdf_a).trailer["/Root"]["/OutputIntents"]
        self.assertEqual(len(intents), 1)
        intent = intents[0].get_object()
        self.assertEqual(intent["/S"], "/GTS_PDFA1")
        self.assertEqual(intent["/OutputConditionIdentifier"], "sRGB IEC61966-2.1")
        profile = intent["/DestOutputProfile"].get_object()
        self.assertEqual(profile["/N"], 3)
        data = profile.get_data()
        self.assertEqual(data[36:40], b"acsp", "an ICC profile")
        self.assertEqual((data[12:16], data[16:20]), (b"mntr", b"RGB "))
        self.assertLess(data[8], 5, "an ICC version PDF/A-3 knows")

    def test_pdfa_fonts_embedded_and_no_cmyk(self):
        reader = self._reader(self.pdf_a)
        fonts = []

        def walk(resources):
            resources = resources.get_object() if resources else {}
            self.assertNotIn("/DeviceCMYK", str(resources.get("/ColorSpace", "")))
            for font in (resources.get("/Font") or {}).values():
                fonts.append(font.get_object())
            for xobject in (resources.get("/XObject") or {}).values():
                xobject = xobject.get_object()
                if xobject.get("/Subtype") == "/Form":
                    walk(xobject.get("/Resources"))
        for page in reader.pages:
            walk(page.get("/Resources"))
            operators = {operator for _operands, operator in ContentStream(
                page.get_contents(), reader).operations}
            self.assertFalse(operators & {b"k", b"K"}, "no device CMYK colour")
        self.assertTrue(fonts)
        for font in fonts:
            if font["/Subtype"] == "/Type3":
                continue
            if font["/Subtype"] == "/Type0":
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font["/FontDescriptor"].get_object()
            self.assertTrue({"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor),
                            "%s is embedded" % font.get("/BaseFont"))

    def test_pdfa_xmp_and_document_information_agree(self):
        reader = self._reader(self.pdf_a)
        stream = reader.trailer["/Root"]["/Metadata"].get_object()
        self.assertNotIn("/Filter", stream, "PDF/A: the metadata stream is not filtered")
        xmp = etree.fromstring(stream.get_data())
        info = reader.metadata

        def one(path):
            found = xmp.xpath(path, namespaces=self.XMP)
            self.assertEqual(len(found), 1, path)
            return found[0].text

        self.assertEqual(one("//pdfaid:part"), "3")
        self.assertEqual(one("//pdfaid:conformance"), "B")
        self.assertEqual(one("//dc:title/rdf:Alt/rdf:li"), info["/Title"])
        self.assertEqual(one("//dc:creator/rdf:Seq/rdf:li"), info["/Author"])
        self.assertEqual(one("//dc:description/rdf:Alt/rdf:li"), info["/Subject"])
        self.assertEqual(one("//pdf:Keywords"), info["/Keywords"])
        self.assertEqual(one("//pdf:Producer"), info["/Producer"])
        self.assertEqual(one("//xmp:CreatorTool"), info["/Creator"])
        for xmp_date, info_date in (("//xmp:CreateDate", "/CreationDate"), ("//xmp:ModifyDate", "/ModDate")):
            self.assertEqual(one(xmp_date).replace("-", "").replace(":", "").replace("T", "")[:14],
                             info[info_date][2:16])
        self.assertIn("Facture %s" % self.invoice_a.number, info["/Title"])
        self.assertEqual(one("//fx:DocumentFileName"), "factur-x.xml")
        self.assertEqual(one("//fx:ConformanceLevel"), "EN 16931")

    def test_pdfa_facturx_attachment_declared_as_factur_x_says(self):
        root = self._reader(self.pdf_a).trailer["/Root"]
        (filespec,) = [spec.get_object() for spec in root["/AF"]]
        self.assertEqual((filespec["/F"], filespec["/UF"]), ("factur-x.xml", "factur-x.xml"))
        self.assertEqual(filespec["/AFRelationship"], "/Alternative")
        embedded = filespec["/EF"]["/F"].get_object()
        self.assertEqual(embedded["/Subtype"], "/text/xml")
        self.assertIn("/ModDate", embedded["/Params"])
        names = root["/Names"]["/EmbeddedFiles"]["/Names"]
        self.assertEqual(names[0], "factur-x.xml")
        self.assertEqual(names[1].get_object(), filespec)

    def test_pdfa_annotations_are_printed(self):
        annotations = [annotation.get_object() for page in self._reader(self.pdf_a).pages
                       for annotation in page.get("/Annots") or []]
        self.assertTrue(annotations, "the payment link")
        for annotation in annotations:
            flags = int(annotation.get("/F", 0))
            self.assertEqual(flags & 4, 4, "printed")
            self.assertEqual(flags & (1 | 2 | 32), 0, "neither invisible nor hidden")
