import base64

from odoo.exceptions import AccessError, UserError

from .common_opening import OpeningCase, b64, sample_pdf


class TestDocumentReview(OpeningCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_a = cls._open_service(cls.designer_a)
        cls.operator = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opératrice plateforme",
            "login": "operator_docs",
            "email": "operations@webo-facto.fr",
            "groups_id": [(6, 0, cls.env.ref("webo_sale.group_platform_operator").ids)],
        })
        cls.documents = cls.service_a.document_ids
        cls.identity = cls.documents.filtered(lambda d: d.kind == "identity")

    def _notifications(self, documents):
        return self.env["mail.message"].sudo().search([
            ("model", "=", "webo.sale.document"), ("res_id", "in", documents.ids),
            ("partner_ids", "in", self.designer_a.partner_id.id)])

    def test_operator_validates_and_the_designer_is_notified_in_french(self):
        self.documents.sudo(self.operator).action_validate()
        self.assertEqual(set(self.documents.mapped("state")), {"validated"})
        self.assertEqual(self.identity.reviewer_id, self.operator)
        self.assertEqual(self.service_a.documents_status, "validated")
        message = self._notifications(self.documents)
        self.assertEqual(len(message), 1, "one message for the four documents reviewed together")
        for kind in ("Pièce d'identité", "Justificatif de domicile", "RIB"):
            self.assertIn(kind, message.body)
        self.assertEqual(message.body.count("a été validé"), 4)
        platform = self.env.ref("base.main_company").partner_id
        self.assertEqual(message.author_id, platform, "signed by the platform, not its administrator")
        mail = self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])
        self.assertEqual(len(mail), 1, "one email is queued for the designer")
        self.assertNotIn("Administrator", mail.body_html)
        self.assertNotIn("Odoo", mail.body_html)

    def test_refusal_needs_a_reason_then_the_designer_replaces_the_document(self):
        refusals = self.env["webo.sale.document.refuse"].sudo(self.operator)
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            refusals.create({"document_ids": [(6, 0, self.identity.ids)], "reason": "   "})
        refuse = refusals.create({"document_ids": [(6, 0, self.identity.ids)], "reason": "A"})
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            refuse.write({"reason": " "})
        self.assertEqual(self.identity.state, "submitted")

        refuse.reason = "La pièce d'identité a expiré"
        refuse.action_refuse()
        self.assertEqual(self.identity.state, "refused")
        self.assertEqual(self.service_a.documents_status, "refused")
        message = self._notifications(self.identity)
        self.assertIn("La pièce d'identité a expiré", message.body)
        self.assertIn("refusé", message.body)

        as_designer = self.identity.sudo(self.designer_a)
        action = as_designer.action_replace()
        replace = self.env["webo.sale.document.replace"].sudo(self.designer_a).with_context(
            **action["context"]).create({"file": b64(b"GIF89a not accepted"), "filename": "cni.gif"})
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            replace.action_replace()
        self.assertEqual(self.identity.state, "refused", "a bad file changes nothing")
        self.assertEqual(self.identity.filename, "cni.jpg")

        replace.write({"file": b64(sample_pdf()), "filename": "cni-recto-verso.pdf"})
        replace.action_replace()
        self.assertEqual(self.identity.state, "submitted")
        self.assertEqual(self.identity.filename, "cni-recto-verso.pdf")
        self.assertEqual(self.identity.mimetype, "application/pdf")
        self.assertFalse(self.identity.refusal_reason)

    def test_base64_cut_into_lines_is_read(self):
        values = self.env["webo.sale.document"]._webo_file_values(
            base64.encodebytes(sample_pdf()), "rib.pdf", "RIB")
        self.assertEqual(values["mimetype"], "application/pdf")
        self.assertEqual(values["file_size"], len(sample_pdf()))

    def test_designer_cannot_review_their_own_documents(self):
        with self.assertRaises(AccessError):
            self.identity.sudo(self.designer_a).action_validate()
        with self.assertRaises(AccessError):
            self.identity.sudo(self.designer_a)._webo_refuse("no")
        with self.assertRaises(AccessError):
            self.identity.sudo(self.designer_a).write({"state": "validated"})
        self.assertEqual(self.identity.state, "submitted")

    def test_another_workspace_cannot_read_the_documents_or_their_files(self):
        as_b = self.env["webo.sale.document"].sudo(self.designer_b)
        self.assertFalse(as_b.search([]))
        with self.assertRaises(AccessError):
            as_b.browse(self.identity.id).read(["file"])
        attachment = self.env["ir.attachment"].sudo().search([
            ("res_model", "=", "webo.sale.document"), ("res_id", "=", self.identity.id),
            ("res_field", "=", "file")])
        self.assertEqual(len(attachment), 1)
        with self.assertRaises(AccessError):
            attachment.sudo(self.designer_b).read(["datas"])
        self.assertFalse(self.env["ir.attachment"].sudo(self.designer_b).search(
            [("id", "=", attachment.id)]))
        # Its own designer reads it.
        self.assertTrue(attachment.sudo(self.designer_a).read(["datas"])[0]["datas"])

    def test_another_workspace_cannot_replace_a_document(self):
        # Refused as soon as the document is named: it is out of reach.
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            self.env["webo.sale.document.replace"].sudo(self.designer_b).create(
                {"document_id": self.identity.id, "file": b64(sample_pdf()), "filename": "x.pdf"})
        self.assertIn("autre espace", str(refusal.exception))
        # And by the replacement itself, had it been made otherwise.
        replace = self.env["webo.sale.document.replace"].create(
            {"document_id": self.identity.id, "file": b64(sample_pdf()), "filename": "x.pdf"})
        with self.assertRaises(AccessError):
            replace.sudo(self.designer_b).action_replace()
        self.assertEqual(self.identity.filename, "cni.jpg")
