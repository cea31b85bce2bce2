import datetime
import smtplib

from odoo import fields
from odoo.addons.base.ir.ir_mail_server import MailDeliveryException
from odoo.exceptions import AccessError, UserError

from ..models.mail_mail import delivery_failure
from .test_invoice_wizard import InvoiceWizardCase


def wrapped(error):
    """``error`` as Odoo's send_email raises it: inside its own exception."""
    try:
        try:
            raise error
        except Exception as cause:
            # Odoo raises it without "from": the cause is only its context.
            raise MailDeliveryException("Mail Delivery Failed", str(cause))  # noqa: B904
    except MailDeliveryException as outer:
        return outer


class TestDeliveryFailureKinds(InvoiceWizardCase):
    """What the mail server's answer means: temporary (tried again) or not."""

    def test_temporary_and_permanent_failures(self):
        cases = [
            (ConnectionRefusedError(111, "Connection refused"), "unreachable"),
            (TimeoutError("timed out"), "timeout"),
            (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), "disconnected"),
            (smtplib.SMTPDataError(451, b"4.3.0 Try again later"), "deferred"),
            (smtplib.SMTPRecipientsRefused({"a@example.org": (450, b"4.2.1 Mailbox busy")}), "deferred"),
            (smtplib.SMTPConnectError(-1, b"HTTP/1.1 400 Bad Request"), "garbage"),
            (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), "login"),
            (smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 No such user")}), "rejected"),
            (smtplib.SMTPSenderRefused(553, b"5.7.1 Sender refused", "x@example.org"), "rejected"),
            (AssertionError("At least one valid recipient address should be specified"), "invalid_address"),
            (ValueError("something else"), "other"),
        ]
        for error, kind in cases:
            self.assertEqual(delivery_failure(error)[0], kind, error)
            self.assertEqual(delivery_failure(wrapped(error))[0], kind, "the cause under Odoo's own")
        self.assertEqual(delivery_failure(smtplib.SMTPDataError(451, b"4.3.0 Try again later"))[1],
                         "451 4.3.0 Try again later")


class TestMailDelivery(InvoiceWizardCase):
    """An invoice reads "sent" once the mail server accepted its email; a
    temporary failure is tried again, a permanent one alerts the designer,
    who resends the very same email."""

    def _send_invoice(self, **values):
        wizard = self._wizard(**values)
        wizard.action_send()
        invoice = wizard.invoice_id
        return invoice, self._queued_mails(invoice)

    def _alerts(self, record):
        return record.message_ids.filtered(
            lambda message: message.subtype_id == self.env.ref("webo_sale.mt_email_failed"))

    def test_accepted_email_makes_the_invoice_sent(self):
        invoice, mail = self._send_invoice()
        message = mail.mail_message_id
        self.assertEqual(invoice.webo_state, "sending")
        self.assertEqual(invoice.with_context(lang="fr_FR").webo_email_status, "Envoi en attente")
        mail.send()
        self.assertEqual((invoice.webo_email_state, invoice.webo_state), ("sent", "sent"))
        self.assertTrue(invoice.sent)
        self.assertEqual(invoice.with_context(lang="fr_FR").webo_email_status, "Envoyée")
        self.assertEqual(message.webo_delivery_state, "sent")
        self.assertFalse(mail.exists(), "deleted once sent, as Odoo does (auto_delete)")

    def test_temporary_failure_is_tried_again_later(self):
        invoice, mail = self._send_invoice()
        message_id = mail.message_id
        before = datetime.datetime.utcnow()
        mail._webo_delivery_failed(wrapped(ConnectionRefusedError(111, "Connection refused")))
        self.assertEqual((mail.state, mail.webo_attempts), ("outgoing", 1))
        first_retry = fields.Datetime.from_string(mail.scheduled_date)
        self.assertAlmostEqual((first_retry - before).total_seconds(), 60, delta=30)
        self.assertEqual((invoice.webo_email_state, invoice.webo_state), ("pending", "sending"))
        self.assertIn("injoignable", invoice.webo_email_error)
        self.assertIn("Envoi en attente", invoice.with_context(lang="fr_FR").webo_email_status)
        self.assertFalse(self._alerts(invoice), "nobody is alerted of a temporary failure")

        mail._webo_delivery_failed(smtplib.SMTPDataError(451, b"4.3.0 Try again later"))
        self.assertEqual((mail.state, mail.webo_attempts), ("outgoing", 2))
        second_retry = fields.Datetime.from_string(mail.scheduled_date)
        self.assertGreater(second_retry - first_retry, datetime.timedelta(seconds=50),
                           "each wait longer than the one before")
        self.assertEqual(mail.message_id, message_id, "the same email, with its Message-Id")
        self.assertEqual(len(self._queued_mails(invoice)), 1, "never a second copy")

        mail.send()
        self.assertEqual(invoice.webo_email_state, "sent")
        self.assertFalse(invoice.webo_email_error)

    def test_permanent_refusal_fails_at_once_and_alerts_the_designer(self):
        invoice, mail = self._send_invoice()
        mail._webo_delivery_failed(wrapped(smtplib.SMTPRecipientsRefused(
            {"compta@example.com": (550, b"5.1.1 No such user")})))
        self.assertEqual((mail.state, mail.webo_attempts), ("exception", 1))
        self.assertEqual((invoice.webo_email_state, invoice.webo_state), ("failed", "send_failed"))
        self.assertEqual(invoice.with_context(lang="fr_FR").webo_email_status,
                         "Échec d'envoi : le serveur de messagerie l'a refusé (550 5.1.1 No such user)")
        self.assertEqual(mail.mail_message_id.webo_delivery_state, "failed")
        alert = self._alerts(invoice)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.partner_ids, self.designer_a.partner_id)
        self.assertIn(self.designer_a.partner_id, alert.needaction_partner_ids, "in their inbox")
        self.assertIn("compta@example.com", alert.body)
        self.assertIn("550 5.1.1 No such user", alert.body)
        self.assertIn("Renvoyer", alert.body)
        alert_mail = self.env["mail.mail"].search([("mail_message_id", "=", alert.id)])
        self.assertEqual(alert_mail.recipient_ids, self.designer_a.partner_id,
                         "and by email, queued and retried as any other")
        synthesis = self.env["webo.sale.service"]._webo_for_company(self.workspace_a)._webo_figures()
        self.assertEqual(synthesis["email_failed_count"], 1)

        # The address corrected, "Renvoyer": the same email goes again.
        self.billing_a.email = "comptabilite@example.com"
        alert_mail._webo_delivery_failed(AssertionError("invalid address"))
        self.assertEqual(invoice.sudo(self.designer_a).webo_retry_emails(), 1, "not the alert")
        self.assertEqual((mail.state, mail.webo_attempts, mail.scheduled_date), ("outgoing", 0, False))
        self.assertEqual(self._queued_mails(invoice) - alert_mail, mail, "the same email, not a new one")
        self.assertEqual(invoice.webo_email_state, "pending")
        self.assertEqual(mail.send_get_mail_to(self.billing_a),
                         ["Service comptable <comptabilite@example.com>"])
        mail.send()
        self.assertEqual(invoice.webo_email_state, "sent")

    def test_temporary_failure_beyond_the_retry_period_fails_for_good(self):
        invoice, mail = self._send_invoice()
        mail._webo_delivery_failed(ConnectionRefusedError(111, "Connection refused"))
        mail.webo_first_failure = fields.Datetime.to_string(
            datetime.datetime.utcnow() - datetime.timedelta(hours=48, minutes=1))
        mail._webo_delivery_failed(TimeoutError("timed out"))
        self.assertEqual(mail.state, "exception")
        self.assertEqual(invoice.webo_email_state, "failed")
        self.assertIn("48 heures", invoice.webo_email_error)
        self.assertEqual(len(self._alerts(invoice)), 1)

    def test_an_expired_email_does_not_expire_the_others(self):
        first_invoice, first = self._send_invoice()
        second_invoice, second = self._send_invoice()
        (first | second)._webo_delivery_failed(ConnectionRefusedError(111, "Connection refused"))
        first.webo_first_failure = fields.Datetime.to_string(
            datetime.datetime.utcnow() - datetime.timedelta(hours=49))
        (first | second)._webo_delivery_failed(ConnectionRefusedError(111, "Connection refused"))
        self.assertEqual((first.state, first_invoice.webo_email_state), ("exception", "failed"))
        self.assertEqual((second.state, second_invoice.webo_email_state), ("outgoing", "pending"))
        self.assertEqual(second.webo_attempts, 2)

    def test_retry_period_is_a_system_parameter(self):
        self.env["ir.config_parameter"].sudo().set_param("webo_sale.mail_retry_hours", "2")
        invoice, mail = self._send_invoice()
        mail.webo_first_failure = fields.Datetime.to_string(
            datetime.datetime.utcnow() - datetime.timedelta(hours=2, minutes=1))
        mail._webo_delivery_failed(ConnectionRefusedError(111, "Connection refused"))
        self.assertEqual(invoice.webo_email_state, "failed")
        self.assertIn("2 heures", invoice.webo_email_error)

    def test_resend_is_refused_without_a_failed_email_or_an_address(self):
        invoice, mail = self._send_invoice()
        with self.assertRaisesRegex(UserError, "Aucun email de .* n'a échoué"):
            invoice.sudo(self.designer_a).with_context(lang="fr_FR").webo_retry_emails()
        mail._webo_delivery_failed(AssertionError("invalid address"))
        self.billing_a.email = False
        with self.assertRaisesRegex(UserError, "Service comptable n'a pas d'adresse email"):
            invoice.sudo(self.designer_a).with_context(lang="fr_FR").webo_retry_emails()
        self.assertEqual((mail.state, invoice.webo_email_state), ("exception", "failed"),
                         "nothing changed")
        with self.assertRaises(AccessError):
            invoice.sudo(self.designer_b).webo_retry_emails()
        self.assertEqual(mail.state, "exception")

    def test_an_older_email_does_not_speak_for_the_invoice(self):
        invoice, first = self._send_invoice()
        invoice.sudo(self.designer_a).webo_resend()
        second = self._queued_mails(invoice) - first
        second.send()
        self.assertEqual(invoice.webo_email_state, "sent")
        first._webo_delivery_failed(smtplib.SMTPDataError(554, b"5.7.1 Rejected"))
        self.assertEqual(invoice.webo_email_state, "sent", "the last sending reached the client")
        self.assertEqual(first.mail_message_id.webo_delivery_state, "failed")

    def test_one_email_per_recipient(self):
        other = self.env["res.partner"].create({
            "name": "Direction", "type": "contact", "parent_id": self.client_a.id,
            "email": "direction@example.com", "company_id": self.workspace_a.id})
        wizard = self._wizard()
        wizard.action_next()
        wizard.action_next()
        wizard.email_partner_ids = self.billing_a | other
        wizard.action_send()
        invoice = wizard.invoice_id
        mail = self._queued_mails(invoice)
        self.assertEqual(len(mail.recipient_ids), 2)
        mails = mail._webo_one_delivery_each()
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails.mapped("recipient_ids"), self.billing_a | other)
        self.assertEqual(set(mails.mapped("message_id")), {mail.message_id}, "one message, one Message-Id")
        self.assertTrue(all(len(each.recipient_ids) == 1 for each in mails))

    def test_reminder_and_receipt_failures_alert_without_touching_the_invoice_state(self):
        invoice, mail = self._send_invoice()
        mail.send()
        receipt_template = self.env.ref("webo_sale.mail_template_payment_receipt")
        invoice.with_context(webo_amount_received=10.0, webo_payment_method="Chèque")._webo_post_template(
            receipt_template, self.billing_a, "webo_sale.mt_payment_receipt")
        receipt = self._queued_mails(invoice).filtered(
            lambda mail: mail.subtype_id == self.env.ref("webo_sale.mt_payment_receipt"))
        self.assertEqual(len(receipt), 1)
        receipt._webo_delivery_failed(smtplib.SMTPRecipientsRefused(
            {"compta@example.com": (550, b"5.1.1 No such user")}))
        self.assertEqual(invoice.webo_email_state, "sent", "the invoice itself reached the client")
        self.assertEqual(receipt.mail_message_id.webo_delivery_state, "failed")
        self.assertEqual(len(self._alerts(invoice)), 1)
        self.assertEqual(invoice.sudo(self.designer_a).webo_retry_emails(), 1)
        self.assertEqual(receipt.state, "outgoing")

    def test_no_alert_about_an_alert(self):
        invoice, mail = self._send_invoice()
        mail._webo_delivery_failed(AssertionError("invalid address"))
        alert_mail = self.env["mail.mail"].search([("mail_message_id", "=", self._alerts(invoice).id)])
        alert_mail._webo_delivery_failed(smtplib.SMTPRecipientsRefused(
            {"designer_a@example.com": (550, b"5.1.1 No such user")}))
        self.assertEqual(alert_mail.state, "exception")
        self.assertEqual(len(self._alerts(invoice)), 1)
