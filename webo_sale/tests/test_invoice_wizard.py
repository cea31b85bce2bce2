from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import UserError, ValidationError

from .common import WeboWorkspaceCase


class InvoiceWizardCase(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.write({"email": "client@example.com", "vat": "FR82131860918"})
        cls.billing_a = cls.env["res.partner"].create({
            "name": "Service comptable", "type": "invoice", "parent_id": cls.client_a.id,
            "email": "compta@example.com", "company_id": cls.workspace_a.id})
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    @classmethod
    def _wizard(cls, user=None, lines=((1.0, 500.0),), **values):
        values = dict({
            "name": "Création du site vitrine",
            "partner_id": cls.client_a.id,
            "date_invoice": cls.today,
            "date_due": fields.Date.to_string(date.today() + timedelta(days=30)),
            "line_ids": [(0, 0, {"name": "Ligne %d" % index, "quantity": quantity, "price_unit": price})
                         for index, (quantity, price) in enumerate(lines, 1)],
        }, **values)
        return cls.env["webo.invoice.wizard"].sudo(user or cls.designer_a).create(values)

    def _invoices(self):
        return self.env["account.invoice"].search(
            [("company_id", "=", self.workspace_a.id), ("type", "=", "out_invoice")])

    def _queued_mails(self, invoice):
        return self.env["mail.mail"].search(
            [("model", "=", "account.invoice"), ("res_id", "=", invoice.id)])


class TestInvoiceWizard(InvoiceWizardCase):

    def test_three_steps_then_send(self):
        wizard = self._wizard()
        wizard.action_next()
        self.assertEqual(wizard.state, "preview")
        self.assertTrue(wizard.predicted_number)
        self.assertIn(wizard.predicted_number, wizard.preview_html)
        self.assertIn(self.client_a.name, wizard.preview_html)
        draft = self._invoices()
        self.assertEqual((draft, draft.state, draft.number), (wizard.invoice_id, "draft", False),
                         "a preview issues no invoice: it keeps its draft")
        self.assertEqual(wizard.preview_payment_url, draft.webo_payment_url,
                         "the preview shows the very link the client will receive")

        wizard.action_next()
        self.assertEqual(wizard.state, "email")
        self.assertEqual(wizard.email_partner_ids, self.billing_a, "the billing contact receives it")
        self.assertIn(wizard.predicted_number, wizard.email_subject)
        self.assertIn("/my/invoices/", wizard.email_body)

        wizard.email_subject += " (merci)"
        action = wizard.action_send()
        invoice = wizard.invoice_id
        self.assertEqual(action["res_id"], invoice.id)
        self.assertEqual(invoice.state, "open")
        self.assertEqual(invoice.number, wizard.predicted_number)
        self.assertEqual(invoice.name, "Création du site vitrine")
        self.assertEqual(invoice.amount_total, 600.0, "500 + 20 % VAT by default")
        # "Sent" only once the mail server accepts the email.
        self.assertEqual((invoice.webo_state, invoice.webo_email_state), ("sending", "pending"))
        self.assertFalse(invoice.sent)
        mail = self._queued_mails(invoice)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "sent through the mail queue")
        self.assertEqual(mail.mail_message_id.webo_delivery_state, "pending")
        self.assertEqual(mail.recipient_ids, self.billing_a)
        self.assertTrue(mail.subject.endswith("(merci)"), "the edited subject is kept")
        self.assertEqual(len(mail.attachment_ids), 1)
        self.assertEqual(mail.attachment_ids.name, invoice.number.replace("/", "-") + ".pdf")
        self.assertIn(invoice.webo_payment_url, mail.body_html)
        self.assertEqual(invoice.webo_payment_url, wizard.preview_payment_url, "the link previewed")
        self.assertNotIn("Internal communication", mail.body_html)
        self.assertIn(mail.mail_message_id, invoice.message_ids, "logged in the chatter")

    def test_sending_straight_away_renders_the_email(self):
        invoice = self._wizard().action_send() and self._invoices()
        self.assertEqual(len(invoice), 1)
        self.assertIn(invoice.number, self._queued_mails(invoice).subject)

    def test_franchise_workspace_invoices_without_vat(self):
        self.workspace_a.webo_vat_regime = "franchise"
        wizard = self._wizard()
        self.assertFalse(wizard.line_ids.tax_ids)
        wizard.action_send()
        self.assertEqual(wizard.invoice_id.amount_total, 500.0)

    def test_a_draft_is_saved_then_resumed_and_sent(self):
        wizard = self._wizard(name="Maquettes")
        action = wizard.action_save_draft()
        draft = wizard.invoice_id
        self.assertEqual((action["res_id"], draft.state, draft.number), (draft.id, "draft", False))
        self.assertEqual(draft.amount_total, 600.0)
        resumed = self.env["webo.invoice.wizard"].browse(
            draft.sudo(self.designer_a).action_webo_resume()["res_id"]).sudo(self.designer_a)
        self.assertEqual((resumed.invoice_id, resumed.name, resumed.partner_id),
                         (draft, "Maquettes", self.client_a))
        self.assertEqual(resumed.line_ids.mapped("price_unit"), [500.0])
        resumed.line_ids.price_unit = 700.0
        resumed.action_send()
        self.assertEqual(self._invoices(), draft, "the draft itself is sent, no second invoice")
        self.assertEqual((draft.state, draft.amount_total), ("open", 840.0))
        with self.assertRaises(UserError):
            draft.sudo(self.designer_a).action_webo_resume()

    def test_due_date_is_thirty_days_after_the_invoice_date(self):
        wizard = self.env["webo.invoice.wizard"].sudo(self.designer_a).new({"date_invoice": "2026-11-03"})
        wizard._onchange_date_invoice()
        self.assertEqual(wizard.date_due, "2026-12-03")
        default = self.env["webo.invoice.wizard"].sudo(self.designer_a).default_get(["date_due"])
        self.assertEqual(default["date_due"], fields.Date.to_string(
            fields.Date.from_string(self.today) + timedelta(days=30)))

    def test_numbers_are_continuous_and_previews_consume_none(self):
        first = self._wizard()
        first.action_next()
        abandoned = self._wizard()
        abandoned.action_next()
        self.assertEqual(first.predicted_number, abandoned.predicted_number)
        first.action_send()
        second = self._wizard()
        second.action_send()
        prefix, first_seq = first.invoice_id.number.rsplit("/", 1)
        self.assertEqual(second.invoice_id.number, "%s/%0*d" % (prefix, len(first_seq), int(first_seq) + 1))

    def test_number_taken_meanwhile_is_corrected_in_the_email(self):
        late = self._wizard()
        late.action_next()
        late.action_next()
        self._wizard().action_send()  # takes the number `late` previewed
        late.action_send()
        number = late.invoice_id.number
        self.assertNotEqual(number, late.predicted_number)
        mail = self._queued_mails(late.invoice_id)
        self.assertIn(number, mail.subject)
        self.assertNotIn(late.predicted_number, mail.subject)

    def test_sending_twice_issues_one_invoice(self):
        wizard = self._wizard()
        wizard.action_send()
        number = wizard.invoice_id.number
        with self.assertRaises(UserError):
            wizard.action_send()
        self.assertEqual(len(self._invoices()), 1)
        self.assertEqual(self._invoices().number, number)

    def test_monthly_recurrence_starts_a_subscription(self):
        wizard = self._wizard(recurrence="monthly")
        wizard.action_send()
        self.assertEqual(wizard.invoice_id.webo_recurrence, "monthly")


class TestInvoiceWizardRefusals(InvoiceWizardCase):

    def assertRefusedAndNothingWritten(self, exception, wizard_values, step="action_send"):
        with self.assertRaises(exception) as error, self.env.cr.savepoint():
            getattr(self._wizard(**wizard_values), step)()
        self.assertFalse(self._invoices())
        return str(error.exception)

    def test_zero_total_is_refused(self):
        message = self.assertRefusedAndNothingWritten(UserError, {"lines": ((1.0, 0.0),)})
        self.assertIn("supérieur à zéro", message)

    def test_negative_total_is_refused(self):
        self.assertRefusedAndNothingWritten(UserError, {"lines": ((1.0, 100.0), (1.0, -300.0))},
                                            step="action_next")

    def test_no_line_is_refused(self):
        self.assertRefusedAndNothingWritten(UserError, {"lines": ()})

    def test_due_date_before_invoice_date_is_refused(self):
        message = self.assertRefusedAndNothingWritten(ValidationError, {
            "date_invoice": "2026-11-20", "date_due": "2026-11-10"})
        self.assertIn("10/11/2026", message, "a date as the French designer reads it")
        self.assertNotIn("2026-11-10", message)

    def test_client_without_email_is_refused(self):
        self.billing_a.email = False
        self.client_a.email = False
        message = self.assertRefusedAndNothingWritten(UserError, {})
        self.assertIn(self.client_a.name, message)

    def test_another_workspace_client_is_refused(self):
        self.client_b.email = "b@example.com"
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            self._wizard(partner_id=self.client_b.id)
        # Refused as the wizard is made (by the API's check of its ids),
        # naming the client by its id only.
        self.assertIn(str(self.client_b.id), refused.exception.name)
        self.assertNotIn(self.client_b.name, refused.exception.name)
        self.assertFalse(self.env["webo.invoice.wizard"].search([("partner_id", "=", self.client_b.id)]))
        self.assertFalse(self._invoices())
        self.assertFalse(self.env["account.invoice"].search([("partner_id", "=", self.client_b.id)]))

    def test_invoice_for_another_workspace_client_is_refused_by_the_model(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self._create_invoice(self.workspace_a, self.client_b)
