"""Stripe's signed webhook pays an invoice once, for the amount asked, on
the workspace's own connected account; everything else is refused with
nothing written. Events are signed here as Stripe signs them."""
import hashlib
import hmac
import json
import time
from datetime import date, timedelta

import stripe

from odoo.exceptions import AccessError, UserError

from ..models.webo_stripe_event import WebhookRefused
from .common import open_invoice
from .common_opening import OpeningCase

SECRET = "whsec_odooTestSecret"


def signed(event, secret=SECRET, timestamp=None):
    payload = json.dumps(event).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
    return payload, "t=%d,v1=%s" % (timestamp, digest)


class StripeWebhookCase(OpeningCase):
    """Workspace A's service with a connected account, the platform's
    keys, and helpers that pay an invoice through a signed event."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls._open_service(cls.designer_a)
        cls.service.sudo().stripe_account_id = "acct_WORKSPACEA"
        parameters = cls.env["ir.config_parameter"]
        parameters.set_param("webo_sale.stripe_secret_key", "sk_test_odoo")
        parameters.set_param("webo_sale.stripe_webhook_secret", SECRET)
        # Nothing answers there: reading a payment intent fails fast.
        parameters.set_param("webo_sale.stripe_api_base", "http://127.0.0.1:9")
        cls.events = cls.env["webo.stripe.event"]

    def _invoice(self, amount=500.0):
        today = date.today()
        return open_invoice(self.env, self.workspace_a, self.client_a,
                            [("Création du site", 1, amount, self.env["account.tax"])],
                            date_invoice=str(today), date_due=str(today + timedelta(days=30)))

    def _checkout(self, invoice):
        return self.env["webo.stripe.checkout"].create({
            "invoice_id": invoice.id, "stripe_account_id": "acct_WORKSPACEA",
            "session_id": "cs_%d" % invoice.id,
            "currency_id": invoice.currency_id.id, "amount": invoice.residual,
            "amount_minor": round(invoice.residual * 100)})

    def _event(self, checkout, kind="checkout.session.completed", status="paid", amount=None, number=1):
        return {
            "id": "evt_%d_%d" % (checkout.id, number), "object": "event", "type": kind,
            "account": checkout.stripe_account_id, "created": int(time.time()),
            "data": {"object": {
                "id": checkout.session_id, "object": "checkout.session", "payment_status": status,
                "amount_total": checkout.amount_minor if amount is None else amount, "currency": "eur",
                "payment_intent": "pi_%d" % checkout.id, "metadata": {"webo_checkout": checkout.reference}}},
        }

    def _receive(self, event, **sign):
        """Deliver ``event``, signed, then run the queue as the scheduled
        job does a minute later: the webhook's answer."""
        answer = self.events._webo_receive(*signed(event, **sign))
        self._process_queue()
        return answer

    def _process_queue(self):
        """The scheduled job's run, inside the test's transaction."""
        return self.events.with_context(webo_stripe_no_commit=True)._webo_process_queue()


class TestStripeWebhook(StripeWebhookCase):

    def test_a_paid_session_pays_the_invoice_once(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        event = self._event(checkout)
        self.assertEqual(self._receive(event), "received")
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(checkout.state, "paid")
        self.assertEqual(checkout.payment_id.journal_id, self.service.payment_journal_id)
        self.assertEqual(self.service.company_id._webo_designers().partner_id & invoice.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("webo_sale.mt_payment_received")).partner_ids,
            self.designer_a.partner_id)
        self.assertEqual(self._receive(event), "duplicate")
        intent = self._event(checkout, kind="payment_intent.succeeded", number=2)
        intent["data"]["object"] = {"id": "pi_%d" % checkout.id, "object": "payment_intent",
                                    "amount_received": checkout.amount_minor, "currency": "eur",
                                    "payment_method_types": ["card"],
                                    "metadata": {"webo_checkout": checkout.reference}}
        self.assertEqual(self._receive(intent), "received")
        self.assertEqual(len(invoice.payment_ids), 1)

    def test_refusals_write_nothing(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        event = self._event(checkout)
        refusals = [
            (signed(event, secret="whsec_other"), 400),
            (signed(event, timestamp=int(time.time()) - 301), 400),  # beyond Stripe's 300 s
            ((json.dumps(event).encode(), None), 400),
            (signed(dict(event, account="acct_UNKNOWN")), 400),
            (signed(self._event(checkout, amount=100)), 400),
        ]
        for (payload, header), status in refusals:
            with self.assertRaises(WebhookRefused) as refused:
                self.events._webo_receive(payload, header)
            self.assertEqual(refused.exception.status, status)
        # Another workspace's account announcing this session.
        self.env["webo.sale.service"]._webo_for_company(self.workspace_b).sudo().stripe_account_id = "acct_B"
        with self.assertRaises(WebhookRefused):
            self._receive(dict(event, account="acct_B"))
        self.assertFalse(self.events.search([("checkout_id", "=", checkout.id)]))
        self.assertEqual((invoice.state, checkout.state), ("open", "open"))

    def test_sepa_submitted_then_failed_leaves_the_invoice_due_and_alerts(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        self._receive(self._event(checkout, status="unpaid"))
        self.assertEqual((invoice.state, checkout.state), ("open", "processing"))
        self._receive(self._event(checkout, kind="checkout.session.async_payment_failed", status="unpaid",
                                  number=2))
        self.assertEqual((invoice.state, checkout.state), ("open", "failed"))
        self.assertFalse(invoice.payment_ids)
        alert = invoice.message_ids.filtered(lambda m: (m.subject or "").startswith("Échec du paiement"))
        self.assertEqual(alert.partner_ids, self.designer_a.partner_id)
        self.assertIn("Prélèvement SEPA", alert.body)

    def test_a_payment_for_an_invoice_paid_meanwhile_is_not_recorded(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        invoice.sudo(self.designer_a).webo_register_payment(500.0)
        self._receive(self._event(checkout))
        self.assertEqual(checkout.state, "refused")
        self.assertEqual(len(invoice.payment_ids), 1)
        self.assertTrue(invoice.message_ids.filtered(lambda m: "n'a pas été enregistré" in (m.body or "")))

    def test_no_checkout_of_a_paid_invoice_nor_without_a_connected_account(self):
        invoice = self._invoice()
        invoice.sudo(self.designer_a).webo_register_payment(500.0)
        with self.assertRaises(UserError):
            self.env["webo.stripe.checkout"]._webo_start(invoice, "http://x/ok", "http://x/ko")
        due = self._invoice()
        self.env["ir.config_parameter"].set_param("webo_sale.stripe_secret_key", "")
        with self.assertRaises(UserError):
            self.env["webo.stripe.checkout"]._webo_start(due, "http://x/ok", "http://x/ko")
        self.assertFalse(self.env["webo.stripe.checkout"].search([("invoice_id", "in", (invoice | due).ids)]))

    def test_the_providers_refusal_names_the_step_in_french(self):
        error = stripe.InvalidRequestError("Invalid IBAN provided.", "external_account[account_number]")
        message = self.service.with_context(lang="fr_FR")._webo_stripe_refusal(error).name
        self.assertIn("Étape 2 (documents et IBAN)", message)
        self.assertIn("Invalid IBAN provided.", message)
        error = stripe.InvalidRequestError("Invalid date of birth.", "individual[dob][year]")
        self.assertIn("Étape 1 (informations)",
                      self.service.with_context(lang="fr_FR")._webo_stripe_refusal(error).name)

    def test_the_account_verification_follows_stripes_notifications(self):
        service = self.service.sudo()

        def updated(number, created, due=(), enabled=False, account="acct_WORKSPACEA"):
            return {"id": "evt_account_%d" % number, "object": "event", "type": "account.updated",
                    "account": account, "created": created,
                    "data": {"object": {"id": account, "object": "account", "charges_enabled": enabled,
                                        "payouts_enabled": enabled,
                                        "requirements": {"currently_due": list(due), "past_due": []}}}}

        now = int(time.time())
        self.assertEqual(self._receive(updated(1, now - 60)), "received")
        self.assertEqual((service.stripe_verification, service.stripe_requirement_codes), ("pending", False))
        self._receive(updated(2, now - 30, due=["individual.verification.document", "foo.bar"]))
        self.assertEqual(service.stripe_verification, "requested")
        self.assertEqual(service.with_context(lang="fr_FR").stripe_requirements,
                         "une pièce d'identité\nfoo.bar")
        self._receive(updated(3, now, enabled=True))
        self.assertEqual((service.stripe_verification, service.stripe_requirement_codes), ("verified", False))
        # An older notification arriving late changes nothing.
        self._receive(updated(4, now - 10, due=["external_account"]))
        self.assertEqual(service.stripe_verification, "verified")
        # Another account's object under this account, or an unknown account: refused.
        with self.assertRaises(WebhookRefused):
            self._receive(dict(updated(5, now), account="acct_WORKSPACEA",
                               data={"object": {"id": "acct_OTHER", "object": "account"}}))
        with self.assertRaises(WebhookRefused):
            self._receive(updated(6, now, account="acct_UNKNOWN"))
        # Nobody sets it by hand.
        with self.assertRaises(UserError):
            service.sudo(self.designer_a).write({"stripe_verification": "verified"})


class TestStripeEventQueue(StripeWebhookCase):
    """The webhook stores the event and answers; the scheduled job
    processes the queue, each event once, a failing one again later and
    then left failed, with its reason, for the operator."""

    def _stored(self, event):
        return self.events.search([("event_id", "=", event["id"])])

    def test_events_processed_before_the_queue_existed_are_not_queued_by_an_upgrade(self):
        # What an upgrade leaves of an event stored by the inline webhook:
        # no payload, and the new column's default state.
        self.env.cr.execute("""
            INSERT INTO webo_stripe_event (event_id, event_type, stripe_account_id, state, attempts)
            VALUES ('evt_before_the_queue', 'checkout.session.completed', 'acct_WORKSPACEA', 'pending', 0)
            RETURNING id""")
        old = self.events.browse(self.env.cr.fetchone()[0])
        self.events.init()
        old.invalidate_cache()
        self.assertEqual(old.state, "done")
        self.assertEqual(self._process_queue(), 0)

    def test_the_answer_comes_first_the_queue_pays_once(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        session = self._event(checkout)
        intent = self._event(checkout, kind="payment_intent.succeeded", number=2)
        intent["data"]["object"] = {"id": "pi_%d" % checkout.id, "object": "payment_intent",
                                    "amount_received": checkout.amount_minor, "currency": "eur",
                                    "payment_method_types": ["card"],
                                    "metadata": {"webo_checkout": checkout.reference}}
        # Both events of the payment, and a second delivery, before the job runs.
        for event in (intent, session):
            self.assertEqual(self.events._webo_receive(*signed(event)), "received")
        self.assertEqual(self.events._webo_receive(*signed(session)), "duplicate")
        self.assertEqual((self._stored(session).state, self._stored(intent).state), ("pending", "pending"))
        self.assertEqual((invoice.state, checkout.state), ("open", "open"))
        self.assertEqual(self._process_queue(), 2)
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(len(invoice.payment_ids), 1)
        for event in (session, intent):
            stored = self._stored(event)
            self.assertEqual((stored.state, stored.attempts, stored.error), ("done", 1, False))
            self.assertTrue(stored.processed_date)
        self.assertEqual(self._process_queue(), 0)

    def test_a_failing_event_is_retried_then_shown_failed_to_the_operator(self):
        invoice = self._invoice()
        checkout = self._checkout(invoice)
        event = self._event(checkout)
        self.events._webo_receive(*signed(event))
        stored = self._stored(event)
        # The stored event cannot be processed (its object is missing).
        self.env.cr.execute("UPDATE webo_stripe_event SET payload = %s WHERE id = %s",
                            ['{"id": "%s"}' % event["id"], stored.id])
        self.assertEqual(self._process_queue(), 1)
        stored.invalidate_cache()
        self.assertEqual((stored.state, stored.attempts), ("pending", 1))
        self.assertIn("data", stored.error)
        self.assertTrue(stored.retry_after)
        self.assertEqual(self._process_queue(), 0, "tried again later, not at once")
        for attempt in range(2, 6):
            self.env.cr.execute("UPDATE webo_stripe_event SET retry_after = NULL WHERE id = %s", [stored.id])
            self.assertEqual(self._process_queue(), 1)
            stored.invalidate_cache()
            self.assertEqual(stored.attempts, attempt)
        self.assertEqual(stored.state, "failed")
        self.env.cr.execute("UPDATE webo_stripe_event SET retry_after = NULL WHERE id = %s", [stored.id])
        self.assertEqual(self._process_queue(), 0, "a failed event waits for the operator")
        self.assertEqual((invoice.state, checkout.state), ("open", "open"))
        # Only the operator puts it back in the queue.
        with self.assertRaises(AccessError):
            stored.sudo(self.designer_a).webo_retry()
        self.assertEqual(stored.state, "failed")
        operator = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opérateur", "login": "operateur_stripe", "lang": "fr_FR",
            "groups_id": [(6, 0, self.env.ref("webo_sale.group_platform_operator").ids)]})
        self.env.cr.execute("UPDATE webo_stripe_event SET payload = %s WHERE id = %s",
                            [json.dumps(event), stored.id])
        stored.invalidate_cache()
        stored.sudo(operator).webo_retry()
        self.assertEqual((stored.state, stored.attempts), ("pending", 0))
        self.assertEqual(self._process_queue(), 1)
        self.assertEqual((stored.state, stored.error, invoice.state), ("done", False, "paid"))
