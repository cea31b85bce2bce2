import base64
from datetime import date

from odoo.addons.webo_sale.tests.bank_files import camt053
from odoo.addons.webo_sale.tests.common_opening import VALID_IBAN
from odoo.exceptions import AccessError

from .common import PurchaseCase


class TestSettlement(PurchaseCase):
    """Client receipts pay the open deferred purchases, oldest first, in
    both sets of books; once per payment; undone when it is cancelled."""

    def setUp(self):
        super().setUp()
        self.first = self._buy(self.designer_a, [(self.hosting, 2)])        # 30
        self.second = self._buy(self.designer_a, [(self.big, 1)])           # 100
        self.second.date_order = "2099-01-01 00:00:00"  # surely the newest

    def test_client_payment_pays_oldest_first_partially(self):
        self._client_pays(50.0)
        self.assertEqual(self.first.state, "settled")
        self.assertAlmostEqual(self.first.amount_due, 0.0, places=2)
        self.assertEqual(self.second.state, "confirmed")
        self.assertAlmostEqual(self.second.amount_settled, 20.0, places=2)
        self.assertAlmostEqual(self.second.amount_due, 80.0, places=2)
        credit = self._credit(self.designer_a)
        self.assertEqual((credit["used"], credit["available"]), (80.0, 220.0))

    def test_both_books_record_the_settlement(self):
        payment = self._client_pays(30.0)
        settlement = self.first.settlement_ids
        self.assertEqual(len(settlement), 1)
        self.assertEqual(settlement.client_payment_id, payment)
        # The platform: a customer payment on its invoice.
        self.assertEqual(self.first.invoice_id.state, "paid")
        self.assertEqual(settlement.platform_payment_id.company_id, self.platform)
        self.assertEqual(settlement.platform_payment_id.partner_type, "customer")
        # The workspace: the bill paid from the payment-receiving account.
        self.assertEqual(self.first.bill_id.state, "paid")
        self.assertEqual(settlement.bill_payment_id.journal_id, self.service_a.payment_journal_id)
        self.assertEqual(settlement.bill_payment_id.partner_type, "supplier")
        self.assertEqual(self.second.amount_settled, 0.0)

    def test_designer_is_notified_in_french(self):
        self._client_pays(30.0)
        notes = self.first.message_ids.filtered(lambda m: self.designer_a.partner_id in m.partner_ids)
        self.assertEqual(len(notes), 1)
        self.assertIn("entièrement payé", notes.body)
        self.assertIn("30,00", notes.body)
        self.assertTrue(self.env["mail.mail"].search([
            ("mail_message_id", "=", notes.id), ("recipient_ids", "in", self.designer_a.partner_id.id)]))
        # The books of the purchase and its settlement email nobody.
        books = (self.first.invoice_id | self.first.bill_id)
        self.assertFalse(self.env["mail.mail"].search([
            ("model", "=", "account.invoice"), ("res_id", "in", books.ids)]))
        payments = self.first.settlement_ids.mapped("platform_payment_id") | self.first.settlement_ids.mapped(
            "bill_payment_id")
        self.assertFalse(self.env["mail.mail"].search([
            ("model", "=", "account.payment"), ("res_id", "in", payments.ids)]))

    def test_a_bank_transfer_matched_from_a_statement_settles(self):
        invoice = self._client_invoice(30.0)
        statement = camt053(VALID_IBAN, [{"amount": 30.0, "date": str(date.today()),
                                          "text": "Virement %s merci" % invoice.number}],
                            statement_id="STMT-SETTLE")
        summary = self.env["account.bank.statement"].sudo(self.designer_a).webo_import_statement(
            base64.b64encode(statement).decode(), "releve.xml")
        self.assertEqual(summary["reconciled"], 1)
        self.assertEqual(invoice.state, "paid")
        line = self.env["account.bank.statement"].browse(summary["statement_ids"]).line_ids
        payment = line.journal_entry_ids.mapped("payment_id")
        self.assertEqual(self.first.state, "settled")
        self.assertEqual(self.first.settlement_ids.client_payment_id, payment)
        self.assertEqual(self.second.amount_settled, 0.0)

    def test_a_client_payment_settles_once(self):
        payment = self._client_pays(10.0)
        invoice = payment.invoice_ids
        self.assertEqual(len(self.first.settlement_ids), 1)
        # The same receipt notified again (a re-reconciliation): nothing more.
        invoice._webo_payment_received(10.0, payment)
        self.assertEqual(len(self.env["webo.purchase.settlement"].search(
            [("client_payment_id", "=", payment.id)])), 1)
        self.assertAlmostEqual(self.first.amount_settled, 10.0, places=2)

    def test_cancelled_client_payment_reverses_its_settlements(self):
        payment = self._client_pays(50.0)
        settled = self.first.settlement_ids.mapped("platform_payment_id") | self.first.settlement_ids.mapped(
            "bill_payment_id")
        entries = (payment | settled).mapped("move_line_ids.move_id")
        payment.cancel()
        # French books keep their entries: each payment is reversed, not deleted.
        self.assertEqual(set((payment | settled).mapped("state")), {"cancelled"})
        self.assertEqual(entries.exists(), entries)
        for entry in entries:
            reversal = self.env["account.move"].search([("ref", "like", entry.name), ("id", "!=", entry.id),
                                                      ("company_id", "=", entry.company_id.id)])
            self.assertEqual(len(reversal), 1, "one reversal of %s" % entry.name)
            self.assertEqual(reversal.amount, entry.amount)
        self.assertFalse(self.env["webo.purchase.settlement"].search(
            [("client_payment_id", "=", payment.id)]))
        self.assertEqual(self.first.state, "confirmed")
        self.assertAlmostEqual(self.first.amount_due, 30.0, places=2)
        self.assertAlmostEqual(self.second.amount_due, 100.0, places=2)
        self.assertEqual(self.first.invoice_id.state, "open")
        self.assertEqual(self.first.bill_id.state, "open")
        self.assertEqual(self._credit(self.designer_a)["used"], 130.0)
        self.assertIn("annulé", self.first.message_ids[0].with_context(lang="fr_FR").body)

    def test_payment_in_another_journal_settles_nothing(self):
        invoice = self._client_invoice(40.0)
        cash = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_a.id), ("type", "=", "cash")], limit=1)
        invoice.sudo(self.designer_a).webo_register_payment(40.0, journal_id=cash.id)
        self.assertEqual(self.first.amount_settled, 0.0)

    def test_settlements_stay_in_their_workspace(self):
        self._client_pays(30.0)
        with self.assertRaises(AccessError):
            self.first.settlement_ids.sudo(self.designer_b).read(["amount"])
