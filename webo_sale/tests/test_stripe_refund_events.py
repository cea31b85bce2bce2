"""Stripe's refund events: a refund webo made is marked done or failed
once, only from its own workspace's connected account; a failed one
cancels its payment (the credit note is due again) and alerts the
designers."""
from ..models.webo_stripe_event import WebhookRefused
from . import test_stripe_webhook as webhook


class TestStripeRefundEvents(webhook.StripeWebhookCase):

    def _refunded(self):
        """An invoice paid by card, cancelled by a credit note, refunded
        (the refund as webo records Stripe's answer)."""
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        self._receive(self._event(checkout))
        credit_note = self.env["account.invoice"].browse(
            invoice.sudo(self.designer_a).webo_cancel_with_credit_note())
        refund = self.env["webo.stripe.refund"].create({
            "refund_id": "re_%d" % checkout.id, "checkout_id": checkout.id,
            "credit_note_id": credit_note.id, "currency_id": credit_note.currency_id.id,
            "amount": credit_note.residual, "state": "pending"})
        refund.payment_id = refund._webo_record_payment()
        self.assertEqual(credit_note.state, "paid")
        return checkout, credit_note, refund

    def _refund_event(self, refund, status, number, account="acct_WORKSPACEA"):
        return {"id": "evt_refund_%d_%d" % (refund.id, number), "object": "event", "type": "refund.updated",
                "account": account, "created": 0,
                "data": {"object": {"id": refund.refund_id, "object": "refund", "status": status,
                                    "failure_reason": "declined" if status == "failed" else None,
                                    "payment_intent": refund.checkout_id.payment_intent_id}}}

    def test_a_failed_refund_cancels_its_payment_once_and_alerts(self):
        _checkout, credit_note, refund = self._refunded()
        event = self._refund_event(refund, "failed", 1)
        self.assertEqual(self._receive(event), "received")
        self.assertEqual(self._receive(event), "duplicate")
        self.assertEqual((refund.state, refund.failure_reason, refund.payment_id.state),
                         ("failed", "declined", "cancelled"))
        self.assertEqual(credit_note.state, "open")
        self.assertEqual(credit_note.residual, refund.amount)
        self.assertEqual(self.env["webo.stripe.refund"]._webo_refundable(credit_note),
                         {refund.checkout_id: refund.amount})
        alert = credit_note.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Échec du remboursement"))
        self.assertEqual(alert.partner_ids, self.designer_a.partner_id)
        self.assertIn("declined", alert.body)

    def test_charge_refunded_marks_the_pending_refund_done(self):
        checkout, _credit_note, refund = self._refunded()
        event = self._refund_event(refund, "succeeded", 1)
        event.update(type="charge.refunded", data={"object": {
            "id": "ch_1", "object": "charge", "payment_intent": checkout.payment_intent_id,
            "amount_refunded": checkout.amount_minor, "refunded": True}})
        self.assertEqual(self._receive(event), "received")
        self.assertEqual((refund.state, refund.payment_id.state), ("succeeded", "posted"))

    def test_refund_events_of_another_account_or_unknown_refund(self):
        _checkout, credit_note, refund = self._refunded()
        self.env["webo.sale.service"]._webo_for_company(self.workspace_b).sudo().stripe_account_id = "acct_B"
        with self.assertRaises(WebhookRefused) as refused:
            self._receive(self._refund_event(refund, "failed", 1, account="acct_B"))
        self.assertEqual(refused.exception.status, 400)
        self.assertEqual((refund.state, credit_note.state), ("pending", "paid"))
        self.assertFalse(self.events.search([("event_id", "=", "evt_refund_%d_1" % refund.id)]))
        # A failed refund made in Stripe's dashboard: nothing to book.
        stranger = self._refund_event(refund, "failed", 2)
        stranger["data"]["object"]["id"] = "re_dashboard"
        self.assertEqual(self._receive(stranger), "received")
        self.assertEqual(self.events.search([("event_id", "=", stranger["id"])]).state, "done")
        self.assertEqual(refund.state, "pending")

    def _dashboard_event(self, checkout, amount, number=1, status="succeeded", kind="refund.created"):
        return {"id": "evt_dashboard_%d_%d" % (checkout.id, number), "object": "event", "type": kind,
                "account": checkout.stripe_account_id, "created": 0,
                "data": {"object": {"id": "re_dashboard_%d" % checkout.id, "object": "refund",
                                    "amount": amount, "status": status, "metadata": {},
                                    "payment_intent": checkout.payment_intent_id}}}

    def test_a_dashboard_refund_pays_the_credit_note_once(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        self._receive(self._event(checkout))
        credit_note = self.env["account.invoice"].browse(
            invoice.sudo(self.designer_a).webo_cancel_with_credit_note())
        event = self._dashboard_event(checkout, checkout.amount_minor)
        self.assertEqual(self._receive(event), "received")
        self.assertEqual(self._receive(event), "duplicate")
        refund = self.env["webo.stripe.refund"].search([("checkout_id", "=", checkout.id)])
        self.assertEqual((len(refund), refund.outside, refund.credit_note_id), (1, True, credit_note))
        self.assertEqual((credit_note.state, refund.payment_id.state), ("paid", "posted"))
        self.assertFalse(self.env["webo.stripe.refund"]._webo_refundable(credit_note))
        # Its refund.updated later: the same refund, not a second one.
        self.assertEqual(self._receive(self._dashboard_event(checkout, checkout.amount_minor, 2,
                                                             kind="refund.updated")), "received")
        self.assertEqual(self.env["webo.stripe.refund"].search_count([("checkout_id", "=", checkout.id)]), 1)

    def test_a_dashboard_refund_without_credit_note_alerts_and_may_fail(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        self._receive(self._event(checkout))
        self.assertEqual(self._receive(self._dashboard_event(checkout, 10000, status="pending")), "received")
        refund = self.env["webo.stripe.refund"].search([("checkout_id", "=", checkout.id)])
        self.assertEqual((refund.credit_note_id, refund.amount, refund.state), (
            self.env["account.invoice"], 100.0, "pending"))
        self.assertEqual((refund.payment_id.payment_type, refund.payment_id.state), ("outbound", "posted"))
        self.assertEqual(invoice.state, "paid")
        alert = invoice.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Remboursement effectué dans Stripe"))
        self.assertEqual(alert.partner_ids, self.designer_a.partner_id)
        self.assertIn("avoir", alert.body)
        # The bank returned it: its payment is cancelled, the designers told.
        self.assertEqual(self._receive(self._dashboard_event(checkout, 10000, 2, status="failed",
                                                             kind="refund.updated")), "received")
        self.assertEqual((refund.state, refund.payment_id.state), ("failed", "cancelled"))
        self.assertTrue(invoice.message_ids.filtered(
            lambda m: (m.subject or "").startswith("Échec du remboursement")))

