from odoo.exceptions import AccessError, UserError

from .test_invoice_wizard import InvoiceWizardCase


class TestInvoiceLaw(InvoiceWizardCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        wizard = cls._wizard()
        wizard.action_send()
        cls.invoice = wizard.invoice_id.sudo(cls.designer_a)

    def test_issued_invoice_cannot_be_deleted(self):
        with self.assertRaises(UserError) as error:
            self.invoice.unlink()
        self.assertIn("avoir", str(error.exception), "the French message points to the credit note")
        self.assertTrue(self.invoice.exists())

    def test_issued_invoice_cannot_be_cancelled_or_reset(self):
        with self.assertRaises(UserError):
            self.invoice.action_invoice_cancel()
        with self.assertRaises(UserError):
            self.invoice.action_invoice_draft()
        self.assertEqual(self.invoice.state, "open")

    def test_draft_invoice_can_still_be_deleted(self):
        draft = self._create_invoice(self.workspace_a, self.client_a)
        draft.sudo(self.designer_a).unlink()
        self.assertFalse(draft.exists())

    def test_resend_queues_the_same_pdf_again(self):
        first_mail = self._queued_mails(self.invoice)
        resend = self.env["webo.invoice.resend"].sudo(self.designer_a).with_context(
            default_invoice_id=self.invoice.id).create({})
        self.assertEqual(resend.partner_ids, self.billing_a)
        resend.action_resend()
        mails = self._queued_mails(self.invoice)
        self.assertEqual(len(mails), 2)
        self.assertEqual((mails - first_mail).attachment_ids.datas, first_mail.attachment_ids.datas)

    def test_cancel_needs_the_confirmation_box(self):
        cancel = self.env["webo.invoice.cancel"].sudo(self.designer_a).create({"invoice_id": self.invoice.id})
        with self.assertRaises(UserError):
            cancel.action_next()
        self.assertEqual(cancel.state, "confirm")

    def test_cancel_with_credit_note(self):
        cancel = self.env["webo.invoice.cancel"].sudo(self.designer_a).create(
            {"invoice_id": self.invoice.id, "confirm": True})
        cancel.action_next()
        self.assertEqual(cancel.state, "preview")
        self.assertIn(self.invoice.number, cancel.preview_html)
        refunds = self.env["account.invoice"].search([("type", "=", "out_refund"),
                                                      ("company_id", "=", self.invoice.company_id.id)])
        self.assertFalse(refunds, "the preview leaves no draft credit note behind")

        cancel.action_create_credit_note()
        credit_note = self.invoice.webo_credit_note_id
        self.assertEqual(credit_note.type, "out_refund")
        self.assertEqual(credit_note.state, "paid", "reconciled with the invoice")
        self.assertEqual(credit_note.amount_total, self.invoice.amount_total)
        self.assertEqual(credit_note.refund_invoice_id, self.invoice)
        self.assertEqual(self.invoice.state, "paid")
        self.assertEqual(self.invoice.residual, 0.0)
        self.assertEqual(self.invoice.webo_state, "credited")
        self.assertEqual(self._queued_mails(credit_note).recipient_ids, self.billing_a)

        with self.assertRaises(UserError):
            self.invoice.webo_cancel_with_credit_note()
        self.assertEqual(len(self.env["account.invoice"].search([
            ("type", "=", "out_refund"), ("company_id", "=", self.invoice.company_id.id)])), 1)

    def test_another_designer_cannot_cancel_or_resend(self):
        with self.assertRaises(AccessError):
            self.invoice.sudo(self.designer_b).webo_cancel_with_credit_note()
        with self.assertRaises(AccessError):
            self.invoice.sudo(self.designer_b).webo_resend()
        self.assertFalse(self.invoice.webo_credit_note_id)

    def test_client_on_the_portal_reads_but_cannot_resend_or_cancel(self):
        portal = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Client portail", "login": "client_portail", "partner_id": self.client_a.id,
            "company_id": self.workspace_a.id, "company_ids": [(6, 0, self.workspace_a.ids)],
            "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)]})
        invoice = self.invoice.sudo(portal)
        self.assertEqual(invoice.number, self.invoice.number, "a follower reads their invoice")
        with self.assertRaises(AccessError):
            invoice.webo_resend()
        with self.assertRaises(AccessError):
            invoice.webo_cancel_with_credit_note()
        self.assertFalse(self.invoice.webo_credit_note_id)
        self.assertEqual(len(self._queued_mails(self.invoice)), 1)
