from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError, ValidationError

from .common import open_invoice
from .common_opening import OpeningCase


class TestPayments(OpeningCase):
    """A client payment, however it arrives, pays the invoice once, alerts
    the designer and sends the client a receipt; bad amounts are refused
    with nothing written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls._open_service(cls.designer_a)
        cls.client_a.write({"email": "client-a@example.org", "lang": "fr_FR"})
        cls.env["res.partner"].create({
            "name": "Comptabilité", "type": "invoice", "parent_id": cls.client_a.id,
            "email": "compta-a@example.org", "company_id": cls.workspace_a.id})

    def _invoice(self, amount=500.0):
        today = date.today()
        return open_invoice(self.env, self.workspace_a, self.client_a,
                            [("Création du site", 1, amount, self.env["account.tax"])],
                            date_invoice=str(today), date_due=str(today + timedelta(days=30)))

    def _messages(self, invoice, subtype):
        return invoice.message_ids.filtered(lambda m: m.subtype_id == self.env.ref(subtype))

    def test_token_is_long_and_unique(self):
        first, second = self._invoice(), self._invoice()
        # 32 random bytes in URL-safe base64: 256 bits.
        self.assertGreaterEqual(len(first.access_token), 43)
        self.assertNotEqual(first.access_token, second.access_token)
        self.assertIn("access_token=%s" % first.access_token, first.webo_payment_url)

    def test_full_payment_pays_alerts_the_designer_and_sends_a_receipt(self):
        invoice = self._invoice(500.0)
        before = self.service.sudo(self.designer_a).webo_synthesis()
        payment_id = invoice.sudo(self.designer_a).webo_register_payment(500.0)

        payment = self.env["account.payment"].browse(payment_id)
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(payment.journal_id, self.service.payment_journal_id)
        alerts = self._messages(invoice, "webo_sale.mt_payment_received")
        self.assertEqual(len(alerts), 1)
        self.assertEqual(alerts.partner_ids, self.designer_a.partner_id)
        self.assertIn(self.designer_a.partner_id, alerts.needaction_partner_ids)
        self.assertIn("500,00", alerts.body)
        self.assertEqual(alerts.subject, "Paiement reçu : %s" % invoice.number)
        self.assertIn("est payée", alerts.body)
        # The designer chose email notifications (Odoo's default): queued.
        self.assertTrue(self.env["mail.mail"].search([
            ("mail_message_id", "=", alerts.id), ("recipient_ids", "in", self.designer_a.partner_id.id)]))
        receipts = self._messages(invoice, "webo_sale.mt_payment_receipt").filtered(
            lambda m: "Reçu de paiement" in (m.subject or ""))
        self.assertEqual(len(receipts), 1)
        self.assertEqual(receipts.partner_ids.mapped("email"), ["compta-a@example.org"])
        self.assertIn("entièrement payée", receipts.body)
        self.assertIn("500,00", receipts.body)

        after = self.service.sudo(self.designer_a).webo_synthesis()
        self.assertEqual(after["paid_count"], before["paid_count"] + 1)
        self.assertAlmostEqual(after["sale_outstanding"], before["sale_outstanding"] - 500.0, places=2)

    def test_partial_payments_leave_the_rest_due(self):
        invoice = self._invoice(300.0)
        invoice.sudo(self.designer_a).webo_register_payment(100.0)
        self.assertEqual((invoice.state, invoice.webo_state, invoice.residual), ("open", "partial", 200.0))
        alert = self._messages(invoice, "webo_sale.mt_payment_received")
        self.assertIn("200,00", alert.body)
        receipt = self._messages(invoice, "webo_sale.mt_payment_receipt").filtered(
            lambda m: "Reçu de paiement" in (m.subject or ""))
        self.assertIn(invoice.webo_payment_url, receipt.body)
        self.assertIn("100,00", receipt.body)

        invoice.sudo(self.designer_a).webo_register_payment(200.0)
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(len(self._messages(invoice, "webo_sale.mt_payment_received")), 2)

    def test_bad_amounts_are_refused_and_nothing_is_written(self):
        invoice = self._invoice(100.0)
        payments = self.env["account.payment"].search_count([])
        for amount, message in ((100.01, "plus que les 100,00"), (-5.0, "nombre positif"),
                                (0.0, "nombre positif"), ("100", "nombre positif")):
            with self.subTest(amount=amount), self.assertRaises(UserError) as refused, \
                    self.env.cr.savepoint():
                invoice.sudo(self.designer_a).with_context(lang="fr_FR").webo_register_payment(amount)
            self.assertIn(message, str(refused.exception.name))
        self.assertEqual(self.env["account.payment"].search_count([]), payments)
        self.assertEqual((invoice.state, invoice.residual), ("open", 100.0))
        self.assertFalse(self._messages(invoice, "webo_sale.mt_payment_received"))

    def test_odoo_payment_screen_refuses_more_than_due(self):
        """The backend's "Enregistrer un paiement" obeys the same rule."""
        invoice = self._invoice(100.0)
        payment = self.env["account.payment"].sudo(self.designer_a).with_context(
            default_invoice_ids=[(4, invoice.id)], lang="fr_FR").create({
                "amount": 150.0, "payment_type": "inbound", "partner_type": "customer",
                "partner_id": self.client_a.id, "journal_id": self.service.payment_journal_id.id,
                "payment_method_id": self.env.ref("account.account_payment_method_manual_in").id,
            })
        with self.assertRaises(UserError), self.env.cr.savepoint():
            payment.post()
        self.assertEqual(payment.state, "draft")
        self.assertEqual(invoice.state, "open")

    def test_draft_invoice_and_other_workspace_are_refused(self):
        invoice = self._invoice(100.0)
        draft = invoice.copy()
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            draft.sudo(self.designer_a).with_context(lang="fr_FR").webo_register_payment(10.0)
        self.assertIn("Seule une facture envoyée", str(refused.exception.name))
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            invoice.sudo(self.designer_b).webo_register_payment(10.0)
        other_journal = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_b.id), ("type", "=", "bank")], limit=1)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            invoice.sudo(self.designer_a).webo_register_payment(10.0, journal_id=other_journal.id)
        self.assertEqual(invoice.residual, 100.0)

    def test_bank_statement_line_reconciled_with_the_invoice_pays_it(self):
        invoice = self._invoice(250.0)
        journal = self.service.payment_journal_id
        statement = self.env["account.bank.statement"].create({
            "journal_id": journal.id, "name": "Relevé mars",
            "line_ids": [(0, 0, {"name": invoice.number, "amount": 250.0,
                                 "partner_id": self.client_a.id, "date": "2026-03-20"})],
        })
        receivable = invoice.move_id.line_ids.filtered(
            lambda line: line.account_id == invoice.account_id)
        statement.line_ids.process_reconciliation(counterpart_aml_dicts=[{
            "move_line": receivable, "credit": 250.0, "debit": 0.0, "name": invoice.number}])
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(len(self._messages(invoice, "webo_sale.mt_payment_received")), 1)

    def test_a_credit_note_is_not_a_payment(self):
        invoice = self._invoice(80.0)
        invoice.sudo(self.designer_a).webo_cancel_with_credit_note()
        self.assertEqual(invoice.webo_state, "credited")
        self.assertFalse(self._messages(invoice, "webo_sale.mt_payment_received"))

    def test_online_transaction_pays_once_however_often_it_is_confirmed(self):
        invoice = self._invoice(120.0)
        invoice.sudo(self.designer_a).webo_register_payment(20.0)
        card = self.env["payment.acquirer"].search(
            [("company_id", "=", self.workspace_a.id), ("provider", "=", "stripe")])
        tx = self.env["payment.transaction"]._check_or_create_invoice_tx(invoice, card)
        # What the client pays online is what is still due.
        self.assertEqual(tx.amount, 100.0)
        tx.write({"state": "done"})
        self.assertIs(tx._confirm_invoice(), True)
        self.assertIs(tx._confirm_invoice(), True)
        payments = self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)])
        self.assertEqual(len(payments), 1)
        self.assertEqual(payments.journal_id, self.service.payment_journal_id)
        self.assertEqual(payments.amount, 100.0)
        self.assertEqual(invoice.state, "paid")

    def test_online_transaction_above_the_amount_due_is_not_recorded(self):
        invoice = self._invoice(60.0)
        card = self.env["payment.acquirer"].search(
            [("company_id", "=", self.workspace_a.id), ("provider", "=", "stripe")])
        tx = self.env["payment.transaction"]._check_or_create_invoice_tx(invoice, card)
        tx.write({"state": "done", "amount": 90.0})
        self.assertEqual(tx._confirm_invoice(), "pay_invoice_tx_amount")
        self.assertFalse(self.env["account.payment"].search([("payment_transaction_id", "=", tx.id)]))
        self.assertEqual(invoice.residual, 60.0)

    def test_negative_payment_is_refused_by_odoo_itself(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.env["account.payment"].create({
                "amount": -1.0, "payment_type": "inbound", "partner_type": "customer",
                "partner_id": self.client_a.id, "journal_id": self.service.payment_journal_id.id,
                "payment_method_id": self.env.ref("account.account_payment_method_manual_in").id,
            })

    def test_portal_login_needs_an_email_and_a_client_of_the_workspace(self):
        users = self.env["res.users"].with_context(active_test=False).search_count([])
        no_email = self._create_client("Client sans e-mail", self.workspace_a, email=False)
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            no_email.sudo(self.designer_a).with_context(lang="fr_FR").webo_grant_portal_access()
        self.assertIn("Ajoutez d'abord une adresse e-mail", str(refused.exception.name))
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            self.client_a.sudo(self.designer_b).webo_grant_portal_access()
        self.assertEqual(self.env["res.users"].with_context(active_test=False).search_count([]), users)
        self.assertFalse(self.client_a.user_ids)

        user = self.env["res.users"].browse(self.client_a.sudo(self.designer_a).webo_grant_portal_access())
        self.assertTrue(user.has_group("base.group_portal"))
        self.assertEqual((user.partner_id, user.company_id), (self.client_a, self.workspace_a))

    def test_a_repeated_payment_with_its_idempotency_key_is_recorded_once(self):
        invoice = self._invoice(300.0).sudo(self.designer_a)
        payment_id = invoice.webo_register_payment(300.0, idempotency_key="cheque-0042")
        self.assertEqual(invoice.state, "paid")
        # The answer was lost; the caller tries again with the same key.
        self.assertEqual(invoice.webo_register_payment(300.0, idempotency_key="cheque-0042"), payment_id)
        self.assertEqual(len(invoice.payment_ids), 1, "paid once")
        alerts = self._messages(invoice, "webo_sale.mt_payment_received")
        self.assertEqual(len(alerts), 1, "one alert, one receipt")
        other = self._invoice(300.0).sudo(self.designer_a).with_context(lang="fr_FR")
        with self.assertRaisesRegex(UserError, "a déjà enregistré un autre paiement"), \
                self.env.cr.savepoint():
            other.webo_register_payment(100.0, idempotency_key="cheque-0042")
        for key in ("", "x" * 201, 7):
            with self.assertRaisesRegex(UserError, "clé d'idempotence"), self.env.cr.savepoint():
                other.webo_register_payment(100.0, idempotency_key=key)
        self.assertFalse(other.payment_ids, "nothing written")
