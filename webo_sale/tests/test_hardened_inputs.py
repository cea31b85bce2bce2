"""What users send is checked before it is used: XML with a DTD or entities
is refused (the file is never read, the entities never expanded), uploads
have a size cap, a subscription's designer and VAT stay in its workspace.
Each refusal is in French and writes nothing."""
import base64
import io
import os
import tempfile
import uuid

from lxml import etree
from pypdf import PdfWriter

from odoo.exceptions import UserError

from ..tools import UntrustedXmlError, decoded_size, parse_untrusted_xml
from .common import WeboWorkspaceCase
from .test_subscriptions import SubscriptionCase

CII = b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"'


def file_entity(path):
    return (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY leak SYSTEM "file://%s">]>' % path.encode()
            + CII + b">&leak;</rsm:CrossIndustryInvoice>")


def billion_laughs(in_attribute=False):
    entities = b"".join(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10)
                        for level in range(1, 10))
    body = CII + (b' note="&lol9;"/>' if in_attribute else b">&lol9;</rsm:CrossIndustryInvoice>")
    return b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + entities + b"]>" + body


def pdf_embedding(xml):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


class TestUntrustedXml(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marker = "SECRET-%s" % uuid.uuid4().hex
        handle, cls.secret = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(handle, "w") as secret:
            secret.write(cls.marker)

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.secret)
        super().tearDownClass()

    def assertRefusedXml(self, xml, reason):
        with self.assertRaises(UntrustedXmlError) as refused:
            parse_untrusted_xml(xml)
        self.assertEqual(refused.exception.reason, reason)
        self.assertNotIn(self.marker, str(refused.exception))

    def test_lxml_default_parser_would_read_the_file(self):
        # Why the helper exists: lxml's default parser puts the file in the
        # text. (Odoo installs a safer default parser, but lxml keeps one per
        # thread and the server's request threads get lxml's own.)
        parsed = etree.fromstring(file_entity(self.secret), etree.XMLParser())
        self.assertIn(self.marker, etree.tostring(parsed).decode())

    def test_file_entity_is_refused(self):
        self.assertRefusedXml(file_entity(self.secret), "dtd")

    def test_billion_laughs_is_refused(self):
        self.assertRefusedXml(billion_laughs(), "dtd")
        self.assertRefusedXml(billion_laughs(in_attribute=True), "dtd")

    def test_parameter_entity_external_dtd_and_utf16_are_refused(self):
        self.assertRefusedXml(b'<!DOCTYPE x [<!ENTITY % p SYSTEM "file://' + self.secret.encode()
                              + b'"> %p;]><x/>', "dtd")
        self.assertRefusedXml(b'<!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>', "dtd")
        self.assertRefusedXml(file_entity(self.secret).decode().replace(
            '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16"), "dtd")

    def test_malformed_and_oversized_are_refused(self):
        self.assertRefusedXml(b"<x><y></x>", "syntax")
        with self.assertRaises(UntrustedXmlError) as refused:
            parse_untrusted_xml(b"<x>" + b"a" * 2048 + b"</x>", max_size=1024)
        self.assertEqual(refused.exception.reason, "size")

    def test_plain_xml_is_read(self):
        root = parse_untrusted_xml(CII + b"><x>1</x></rsm:CrossIndustryInvoice>")
        self.assertEqual(root.tag, "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}"
                                   "CrossIndustryInvoice")

    def _counts(self):
        return (self.env["account.invoice"].search_count([]),
                self.env["res.partner"].with_context(active_test=False).search_count([]),
                self.env["ir.attachment"].search_count([]))

    def assertImportRefused(self, pdf, *fragments):
        before = self._counts()
        invoices = self.env["account.invoice"].sudo(self.designer_a).with_context(lang="fr_FR")
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            invoices.webo_import_facturx(base64.b64encode(pdf), "fournisseur.pdf")
        for fragment in fragments:
            self.assertIn(fragment, refused.exception.name)
        self.assertNotIn(self.marker, refused.exception.name)
        self.assertEqual(self._counts(), before, "the refused import wrote something")

    def test_facturx_import_refuses_entities_in_french(self):
        self.assertImportRefused(pdf_embedding(file_entity(self.secret)),
                                 "fournisseur.pdf", "déclare une DTD ou des entités")
        self.assertImportRefused(pdf_embedding(billion_laughs()), "déclare une DTD ou des entités")

    def test_facturx_import_refuses_malformed_xml(self):
        self.assertImportRefused(pdf_embedding(CII + b"><unclosed></rsm:CrossIndustryInvoice>"),
                                 "n'est pas un XML bien formé")

    def test_oversized_upload_is_refused_with_the_limit(self):
        oversized = base64.b64encode(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024))
        self.assertEqual(decoded_size(oversized), 10 * 1024 * 1024 + 9)
        self.assertEqual(decoded_size(b"QUJD\nREU=\n"), 5)
        before = self._counts()
        invoices = self.env["account.invoice"].sudo(self.designer_a).with_context(lang="fr_FR")
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            invoices.webo_import_facturx(oversized, "enorme.pdf")
        self.assertIn("enorme.pdf fait 10.0 Mo ; la limite est de 10 Mo", refused.exception.name)
        wizards = self.env["webo.facturx.import"].sudo(self.designer_a).with_context(lang="fr_FR")
        count = wizards.search_count([])
        with self.assertRaises(UserError), self.env.cr.savepoint():
            wizards.create({"data": oversized, "filename": "enorme.pdf"})
        self.assertEqual(wizards.search_count([]), count)
        self.assertEqual(self._counts(), before)


class TestSubscriptionWorkspace(SubscriptionCase):

    def test_designer_of_another_workspace_is_refused(self):
        count = self.env["webo.subscription"].search_count([])
        # webo_create takes no designer at all: the caller is the designer.
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            self._subscription(lang="fr_FR", user_id=self.designer_b.id)
        self.assertIn("user_id", refused.exception.name)
        self.assertEqual(self.env["webo.subscription"].search_count([]), count)
        subscription = self._subscription()
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            subscription.sudo(self.designer_a).with_context(lang="fr_FR").write(
                {"user_id": self.designer_b.id})
        self.assertIn("autre espace", refused.exception.name)
        self.assertNotIn(self.designer_b.name, refused.exception.name)
        # The model itself refuses it, whoever writes it (the API's check
        # of readable ids aside).
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            subscription.sudo().with_context(lang="fr_FR").write({"user_id": self.designer_b.id})
        self.assertIn("doit être un utilisateur de son espace", refused.exception.name)
        self.assertNotIn(self.designer_b.name, refused.exception.name)
        self.assertEqual(subscription.user_id, self.designer_a)

    def test_vat_of_another_workspace_is_refused(self):
        foreign_tax = self.env["account.tax"].search([
            ("company_id", "=", self.workspace_b.id), ("type_tax_use", "=", "sale")], limit=1)
        self.assertTrue(foreign_tax)
        count = self.env["webo.subscription"].search_count([])
        line = {"name": "Hébergement", "quantity": 1.0, "price_unit": 30.0,
                "tax_ids": [(6, 0, foreign_tax.ids)]}
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            self._subscription(lang="fr_FR", line_ids=[(0, 0, line)])
        self.assertIn("autre espace", refused.exception.name)
        self.assertEqual(self.env["webo.subscription"].search_count([]), count)
        subscription = self._subscription()
        lines = subscription.line_ids
        # The line model itself refuses it, whoever writes it.
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            lines[:1].sudo().with_context(lang="fr_FR").write({"tax_ids": [(6, 0, foreign_tax.ids)]})
        self.assertIn("taux de TVA d'un autre espace", refused.exception.name)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            subscription.sudo(self.designer_a).webo_modify({"line_ids": [(0, 0, line)]})
        self.assertEqual(subscription.line_ids, lines)
