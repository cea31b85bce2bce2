"""A subscription paid automatically: the client's authorisation becomes
active from Stripe's signed setup event only, the monthly run charges each
new invoice once, a failed charge leaves the invoice due and tells the
designer and the client; refusals write nothing. (Stripe's API itself is
played by the system tests, tests/test_stripe_autopay.py: here nothing
answers at its address, as a provider out of reach.)"""
import time

from odoo import fields
from odoo.exceptions import AccessError, UserError

from ..models.webo_stripe_event import WebhookRefused
from .test_stripe_webhook import StripeWebhookCase


class TestStripeAutopay(StripeWebhookCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        model = cls.env["webo.subscription"].sudo(cls.designer_a)
        cls.subscription = model.browse(model.webo_create({
            "name": "Maintenance du site", "partner_id": cls.client_a.id,
            "date_start": fields.Date.today(),
            "line_ids": [(0, 0, {"name": "Maintenance", "quantity": 1, "price_unit": 80.0})]}))
        cls._run()
        cls.first = cls.subscription.invoice_ids

    @classmethod
    def _run(cls):
        return cls.env["webo.subscription"].with_context(webo_subscription_no_commit=True)._webo_run_due(
            fields.Date.today())

    def _mandate(self, state="pending", method="card"):
        return self.env["webo.stripe.mandate"].create({
            "subscription_id": self.subscription.id, "invoice_id": self.first.id,
            "stripe_account_id": "acct_WORKSPACEA", "customer_id": "cus_A", "session_id": "cs_setup_A",
            "text": "J'autorise", "accepted_date": fields.Datetime.now(), "ip_address": "127.0.0.1",
            "state": state, "payment_method_id": "pm_A" if state == "active" else False,
            "method": method if state == "active" else False})

    def _setup_event(self, mandate, number=1, account="acct_WORKSPACEA", reference=None):
        return {
            "id": "evt_setup_%d_%d" % (mandate.id, number), "object": "event",
            "type": "setup_intent.succeeded", "account": account, "created": int(time.time()),
            "data": {"object": {
                "id": "seti_A", "object": "setup_intent", "status": "succeeded", "customer": "cus_A",
                "payment_method": "pm_A", "mandate": "mandate_A", "payment_method_types": ["sepa_debit"],
                "metadata": {"webo_mandate": reference or mandate.reference}}},
        }

    def _next_invoice(self):
        """The next period's invoice, issued by the monthly run (which then
        charges it)."""
        self.env.cr.execute("UPDATE webo_subscription SET next_invoice_date = %s WHERE id = %s",
                            [fields.Date.today(), self.subscription.id])
        self.subscription.invalidate_cache()
        self._run()
        return self.subscription.invoice_ids - self.first

    def test_the_setup_event_makes_the_subscription_automatic_once(self):
        mandate = self._mandate()
        self.assertFalse(self.subscription.webo_autopay)
        self.assertEqual(self._receive(self._setup_event(mandate)), "received")
        self.assertEqual((mandate.state, mandate.method, mandate.stripe_mandate_id),
                         ("active", "sepa_debit", "mandate_A"))
        subscription = self.subscription.sudo(self.designer_a).with_context(lang="fr_FR")
        self.assertTrue(subscription.webo_autopay)
        self.assertEqual(subscription.webo_autopay_method, "Prélèvement SEPA")
        self.assertEqual(self._receive(self._setup_event(mandate)), "duplicate")

    def test_a_setup_event_of_another_workspace_is_refused_and_writes_nothing(self):
        mandate = self._mandate()
        self.env["webo.sale.service"]._webo_for_company(self.workspace_b).sudo().stripe_account_id = "acct_B"
        for event in (self._setup_event(mandate, account="acct_B"),
                      self._setup_event(mandate, number=2, reference="unknown")):
            with self.assertRaises(WebhookRefused):
                self._receive(event)
        self.assertEqual(mandate.state, "pending")
        self.assertFalse(self.subscription.webo_autopay)
        self.assertFalse(self.events.search([("event_id", "like", "evt_setup_%d_" % mandate.id)]))

    def test_the_run_charges_each_new_invoice_once_and_a_failure_leaves_it_due(self):
        mandate = self._mandate(state="active")
        self.assertFalse(self.env["webo.stripe.checkout"].search([("invoice_id", "=", self.first.id)]),
                         "the invoice issued before the choice is paid from its page")
        invoice = self._next_invoice()
        self.assertEqual(len(invoice), 1)
        charge = self.env["webo.stripe.checkout"].search([("invoice_id", "=", invoice.id)])
        self.assertEqual((charge.mandate_id, charge.amount), (mandate, invoice.residual))
        # Stripe out of reach: the charge failed, the invoice stays due.
        self.assertEqual((charge.state, invoice.state), ("failed", "open"))
        designers = invoice.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Échec du paiement :"))
        self.assertEqual(designers.partner_ids, self.designer_a.partner_id)
        client = invoice.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Échec du paiement automatique"))
        self.assertEqual(client.partner_ids, invoice.webo_billing_partner_id)
        self.assertIn(invoice.webo_payment_url, client.body)
        # The next run charges nothing more.
        self._run()
        self.assertEqual(len(self.env["webo.stripe.checkout"].search([("invoice_id", "=", invoice.id)])), 1)

    def test_the_charge_is_paid_from_the_webhook_only(self):
        self._mandate(state="active")
        invoice = self._next_invoice()
        charge = self.env["webo.stripe.checkout"].search([("invoice_id", "=", invoice.id)])
        charge.sudo().write({"state": "open", "payment_intent_id": "pi_auto"})
        event = {"id": "evt_auto_%d" % charge.id, "object": "event", "type": "payment_intent.succeeded",
                 "account": "acct_WORKSPACEA", "created": int(time.time()),
                 "data": {"object": {"id": "pi_auto", "object": "payment_intent",
                                     "amount_received": charge.amount_minor, "currency": "eur",
                                     "payment_method_types": ["card"],
                                     "metadata": {"webo_checkout": charge.reference}}}}
        self.assertEqual(self._receive(event), "received")
        self.assertEqual((invoice.state, charge.state), ("paid", "paid"))

    def test_no_automatic_payment_without_a_subscription_or_the_clients_consent(self):
        other = self._invoice()
        mandates = self.env["webo.stripe.mandate"]
        with self.assertRaisesRegex(UserError, "abonnement en cours"):
            mandates.with_context(lang="fr_FR")._webo_start(other, True, "127.0.0.1", "UA", "http://x/p")
        with self.assertRaisesRegex(UserError, "Cochez"):
            mandates.with_context(lang="fr_FR")._webo_start(self.first, False, "127.0.0.1", "UA", "http://x/p")
        self.assertFalse(mandates.search([("invoice_id", "in", (other | self.first).ids)]))

    def test_only_the_workspaces_designer_revokes_and_nobody_sets_the_flag(self):
        mandate = self._mandate(state="active")
        with self.assertRaises(UserError):
            self.subscription.sudo(self.designer_a).write({"webo_autopay": False})
        with self.assertRaises(AccessError):
            self.subscription.sudo(self.designer_b).webo_autopay_revoke()
        self.assertEqual(mandate.state, "active")
        # Stripe out of reach: nothing revoked, the designer is told to retry.
        with self.assertRaisesRegex(UserError, "injoignable"):
            self.subscription.sudo(self.designer_a).webo_autopay_revoke()
        self.assertEqual(mandate.state, "active")
        mandate.payment_method_id = False  # nothing to detach at Stripe
        self.subscription.sudo(self.designer_a).webo_autopay_revoke()
        self.assertEqual(mandate.state, "revoked")
        self.assertFalse(self.subscription.webo_autopay)
        self._next_invoice()
        self.assertFalse(self.env["webo.stripe.checkout"].search([("mandate_id", "=", mandate.id)]))
