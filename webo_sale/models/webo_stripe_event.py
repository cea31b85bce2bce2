"""Stripe's webhook: each signed event of a workspace's payment, processed once."""
import json
import logging

import stripe

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

# What a checkout's events mean for its invoice.
PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded",
        "payment_intent.succeeded")
FAILED = ("checkout.session.async_payment_failed", "payment_intent.payment_failed")
# What a refund's events mean: refunded (a SEPA refund is pending first),
# or failed (``refund.updated`` with the status ``failed``).
REFUNDED = ("charge.refunded",)
REFUND_UPDATED = ("refund.updated", "refund.failed")
# Every refund, webo's or made in Stripe's dashboard (API 2024-10-28 on).
REFUND_CREATED = ("refund.created",)

INSERT_SQL = """
INSERT INTO webo_stripe_event (event_id, event_type, stripe_account_id, checkout_id,
                               create_uid, create_date, write_uid, write_date)
VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC')
ON CONFLICT (event_id) DO NOTHING RETURNING id
"""


class WebhookRefused(Exception):
    """A webhook request that is not a genuine event of a known payment:
    answered with a plain HTTP refusal, nothing written."""

    def __init__(self, status, reason):
        super().__init__(reason)
        self.status = status


class WeboStripeEvent(models.Model):
    _name = "webo.stripe.event"
    _description = "Stripe Event Received"
    _order = "id desc"

    event_id = fields.Char(required=True, readonly=True)
    event_type = fields.Char(string="Type", required=True, readonly=True)
    stripe_account_id = fields.Char(readonly=True)
    checkout_id = fields.Many2one("webo.stripe.checkout", readonly=True, ondelete="set null")

    # Stripe may deliver an event more than once (and two deliveries at
    # the same time): the second finds the first's row and does nothing.
    _sql_constraints = [
        ("event_unique", "unique(event_id)", "A Stripe event is processed once."),
    ]

    @api.model
    def _webo_receive(self, payload, signature):
        """Verify and process one webhook delivery; returns a short word
        for the answer's body ("processed", "duplicate", "ignored"), raises
        WebhookRefused otherwise."""
        platform = self.env["webo.stripe.platform"]
        secret = platform._webo_webhook_secret()
        if not secret:
            raise WebhookRefused(404, "no webhook endpoint")
        try:
            # Stripe's default tolerance: 300 s between signing and now.
            stripe.Webhook.construct_event(payload, signature, secret)
        except (ValueError, stripe.SignatureVerificationError) as error:
            _logger.warning("Stripe webhook refused: %s", error)
            raise WebhookRefused(400, "invalid signature") from None
        # The verified payload, as plain data.
        event = json.loads(payload)
        event_id, event_type, account = event["id"], event["type"], event.get("account")
        if not account or not self.env["webo.sale.service"].sudo().search_count(
                [("stripe_account_id", "=", account)]):
            raise WebhookRefused(400, "unknown account")
        obj = event["data"]["object"]
        if event_type == "account.updated" and obj.get("id") != account:
            raise WebhookRefused(400, "not this account")
        refunds = self._webo_refunds_of(event_type, obj, account)
        # A subscription's automatic payment set up on Stripe's page.
        mandate = self.env["webo.stripe.mandate"]._webo_of_event(event_type, obj, account)
        outside = not refunds and self._webo_outside_refund_of(event_type, obj, account)
        checkout = refunds[:1].checkout_id or outside or self._webo_checkout_of(event_type, obj)
        if checkout and not refunds and not outside:
            amount, currency = self._webo_amount_of(event_type, obj)
            problem = checkout._webo_check_event(account, amount, currency)
            if problem:
                _logger.warning("Stripe event %s refused: %s", event_id, problem)
                raise WebhookRefused(400, "not this payment")
        self.env.cr.execute(INSERT_SQL, [event_id, event_type, account, checkout.id or None,
                                         self.env.uid, self.env.uid])
        if not self.env.cr.fetchone():
            _logger.info("Stripe event %s already processed", event_id)
            return "duplicate"
        if event_type == "account.updated":
            service = self.env["webo.sale.service"].sudo().search([("stripe_account_id", "=", account)])
            service._webo_stripe_account_updated(obj, event.get("created") or 0)
            return "processed"
        if refunds:
            self._webo_apply_refund(event_type, obj, refunds)
            return "processed"
        if mandate:
            mandate._webo_apply_event(event_type, obj)
            return "processed"
        if outside:
            self.env["webo.stripe.refund"]._webo_book_outside(checkout, obj)
            return "processed"
        if not checkout:
            return "ignored"
        self._webo_apply(event_type, obj, checkout)
        return "processed"

    @api.model
    def _webo_refunds_of(self, event_type, obj, account):
        """The refunds made by webo that a refund event is about: the
        refund itself (``refund.updated``), or the refunds of the charge's
        payment intent (``charge.refunded``: the pending ones went
        through, a refund made in Stripe's dashboard among them once
        booked); empty for others."""
        refunds = self.env["webo.stripe.refund"].sudo()
        if event_type in REFUND_UPDATED and obj.get("object") == "refund":
            refunds = refunds.search([("refund_id", "=", obj.get("id"))])
        elif event_type in REFUNDED and obj.get("object") == "charge" and obj.get("payment_intent"):
            refunds = refunds.search([("checkout_id.payment_intent_id", "=", obj["payment_intent"]),
                                      ("state", "!=", "failed")])
        else:
            return refunds
        if refunds.filtered(lambda refund: refund.checkout_id.stripe_account_id != account):
            raise WebhookRefused(400, "not this payment")
        return refunds

    @api.model
    def _webo_outside_refund_of(self, event_type, obj, account):
        """The paid checkout whose payment a refund made in Stripe's
        dashboard gives back (a refund webo did not ask for, not recorded
        yet, not failed), or an empty recordset."""
        checkouts = self.env["webo.stripe.checkout"].sudo()
        if (event_type not in REFUND_CREATED + REFUND_UPDATED or obj.get("object") != "refund"
                or (obj.get("metadata") or {}).get("webo_credit_note") or obj.get("status") == "failed"
                or not obj.get("payment_intent")
                or self.env["webo.stripe.refund"].sudo().search_count([("refund_id", "=", obj.get("id"))])):
            return checkouts
        return checkouts.search([("payment_intent_id", "=", obj["payment_intent"]), ("state", "=", "paid"),
                                 ("stripe_account_id", "=", account)], limit=1)

    @api.model
    def _webo_apply_refund(self, event_type, obj, refunds):
        if event_type in REFUNDED:
            for refund in refunds:
                refund._webo_succeeded()
        elif obj.get("status") == "failed":
            refunds._webo_failed(obj.get("failure_reason"))
        elif obj.get("status") == "succeeded":
            refunds._webo_succeeded()

    @api.model
    def _webo_checkout_of(self, event_type, obj):
        """The checkout an event is about (from the reference webo put in
        the metadata), or an empty recordset."""
        checkouts = self.env["webo.stripe.checkout"].sudo()
        if event_type not in PAID + FAILED:
            return checkouts
        reference = (obj.get("metadata") or {}).get("webo_checkout")
        if not reference:
            return checkouts
        checkout = checkouts.search([("reference", "=", reference)], limit=1)
        if checkout and obj.get("object") == "checkout.session" and obj.get("id") != checkout.session_id:
            raise WebhookRefused(400, "not this payment")
        if not checkout:
            raise WebhookRefused(400, "unknown payment")
        return checkout

    @api.model
    def _webo_amount_of(self, event_type, obj):
        if obj.get("object") == "checkout.session":
            return obj.get("amount_total"), obj.get("currency")
        if event_type == "payment_intent.succeeded":
            return obj.get("amount_received"), obj.get("currency")
        return obj.get("amount"), obj.get("currency")

    @api.model
    def _webo_intent(self, checkout, intent_id):
        """The session's payment intent as Stripe has it now (why a SEPA
        debit failed is there, not in the session); {} when unknown."""
        if not intent_id:
            return {}
        try:
            intent = self.env["webo.stripe.platform"]._webo_client().v1.payment_intents.retrieve(
                intent_id, options={"stripe_account": checkout.stripe_account_id})
        except stripe.StripeError as error:
            _logger.warning("payment intent %s not read: %s", intent_id, error)
            return {}
        return intent.to_dict()

    @api.model
    def _webo_apply(self, event_type, obj, checkout):
        session = obj.get("object") == "checkout.session"
        intent_id = obj.get("payment_intent") if session else obj.get("id")
        method = None if session else (obj.get("payment_method_types") or [None])[0]
        if event_type in FAILED:
            error = (obj if not session else self._webo_intent(checkout, intent_id)).get(
                "last_payment_error") or {}
            checkout._webo_failed(method, intent_id, error.get("message"))
        elif session and obj.get("payment_status") == "unpaid":
            # Completed but not paid yet: a SEPA debit, settled in days.
            checkout._webo_submitted(method or "sepa_debit", intent_id)
        elif not session or obj.get("payment_status") in ("paid", "no_payment_required"):
            checkout._webo_paid(method or ("card" if event_type == "checkout.session.completed"
                                           else "sepa_debit"), intent_id)
