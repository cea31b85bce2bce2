from odoo.addons.webo_sale.tests.test_stripe_webhook import SECRET, StripeWebhookCase, signed
from odoo.exceptions import UserError

from .common import PurchaseCase


class TestStripeSettlement(PurchaseCase):
    """A card or SEPA payment on the connected account pays the open
    deferred purchases only through the share Stripe takes (the session's
    application fee); Stripe itself is the loopback server of the system
    tests, here nothing answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_a.stripe_account_id = "acct_WORKSPACEA"
        parameters = cls.env["ir.config_parameter"]
        parameters.set_param("webo_sale.stripe_secret_key", "sk_test_odoo")
        parameters.set_param("webo_sale.stripe_webhook_secret", SECRET)
        parameters.set_param("webo_sale.stripe_api_base", "http://127.0.0.1:9")

    def setUp(self):
        super().setUp()
        self.first = self._buy(self.designer_a, [(self.hosting, 2)])        # 30
        self.second = self._buy(self.designer_a, [(self.big, 1)])           # 100
        self.second.date_order = "2099-01-01 00:00:00"  # surely the newest

    def _checkout(self, invoice):
        return StripeWebhookCase._checkout(self, invoice)

    def _receive(self, checkout, **values):
        """Deliver the checkout's event, then run the events' queue."""
        event = StripeWebhookCase._event(self, checkout, **values)
        events = self.env["webo.stripe.event"]
        answer = events._webo_receive(*signed(event))
        events.with_context(webo_stripe_no_commit=True)._webo_process_queue()
        return answer

    def _fee_asked(self, amount):
        checkout = self._checkout(self._client_invoice(amount))
        params = checkout._webo_session_params("http://x/ok", "http://x/ko")
        return checkout.purchase_fee_minor, params["payment_intent_data"].get("application_fee_amount")

    def test_the_session_asks_the_open_purchases_at_most_the_amount(self):
        self.assertEqual(self._fee_asked(500.0), (13000, 13000))
        self.assertEqual(self._fee_asked(50.0), (5000, 5000))
        self._client_pays(130.0)
        self.assertEqual(self._fee_asked(500.0), (0, None))

    def test_without_a_share_taken_a_card_payment_pays_no_purchase(self):
        invoice = self._client_invoice(50.0)
        checkout = self._checkout(invoice)
        self.assertEqual(self._receive(checkout), "received")
        self.assertEqual(invoice.state, "paid")
        self.assertEqual((self.first.amount_due, self.second.amount_due), (30.0, 100.0))
        self.assertFalse(self.env["webo.purchase.settlement"].search(
            [("company_id", "=", self.workspace_a.id)]))

    def test_a_failed_sepa_debit_takes_nothing(self):
        invoice = self._client_invoice(50.0)
        checkout = self._checkout(invoice)
        checkout.purchase_fee_minor = 5000
        self._receive(checkout, status="unpaid")
        self._receive(checkout, kind="checkout.session.async_payment_failed", status="unpaid", number=2)
        self.assertEqual((checkout.state, checkout.purchase_fee_id), ("failed", False))
        self.assertEqual((self.first.amount_due, self.second.amount_due), (30.0, 100.0))

    def test_an_unreadable_share_keeps_nothing_of_the_event(self):
        """Stripe is not reachable to say what it took: the event's
        processing is undone and tried again later."""
        invoice = self._client_invoice(50.0)
        checkout = self._checkout(invoice)
        checkout.purchase_fee_minor = 5000
        self.assertEqual(self._receive(checkout), "received")
        event = self.env["webo.stripe.event"].search([("checkout_id", "=", checkout.id)])
        self.assertEqual((event.state, event.attempts), ("pending", 1))
        self.assertTrue(event.retry_after and event.error)
        self.assertEqual((invoice.state, checkout.payment_id), ("open", self.env["account.payment"]))
        self.assertEqual((self.first.amount_due, self.second.amount_due), (30.0, 100.0))

    def test_a_payment_stripe_took_a_share_from_cannot_be_cancelled(self):
        invoice = self._client_invoice(50.0)
        checkout = self._checkout(invoice)
        self._receive(checkout)
        # What collecting a share of 10.00 records (_webo_collect_fee).
        settlements = invoice._webo_settle_orders(checkout.payment_id, 10.0, "fee_TAKEN")
        self.assertEqual((settlements.stripe_fee_id, settlements.order_id), ("fee_TAKEN", self.first))
        with self.assertRaises(UserError) as refused:
            checkout.payment_id.with_context(lang="fr_FR").cancel()
        self.assertIn("ne peut pas être annulé", refused.exception.name)
        self.assertEqual(checkout.payment_id.state, "posted")
        self.assertEqual(self.first.amount_due, 20.0)
