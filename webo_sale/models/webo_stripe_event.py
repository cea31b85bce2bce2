"""Stripe's webhook: each signed event of a workspace's payment, stored
once when it arrives, processed once by the scheduled job soon after."""
import json
import logging
import time
from datetime import datetime, timedelta

import stripe

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..tools.batches import run_in_batches
from .webo_subscription import CONNECTION_LOST, error_text

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
INSERT INTO webo_stripe_event (event_id, event_type, stripe_account_id, checkout_id, payload,
                               stripe_created, state, attempts,
                               create_uid, create_date, write_uid, write_date)
VALUES (%s, %s, %s, %s, %s, %s, 'pending', 0, %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC')
ON CONFLICT (event_id) DO NOTHING RETURNING id
"""
# The oldest event due (Stripe's creation time first: deliveries come out
# of order), that no other run holds.
CLAIM_SQL = """
SELECT id FROM webo_stripe_event
 WHERE state = 'pending' AND (retry_after IS NULL OR retry_after <= now() AT TIME ZONE 'UTC')
 ORDER BY stripe_created, id LIMIT 1 FOR UPDATE SKIP LOCKED
"""
# A scheduled run stops taking events after this, within the workers'
# limit_time_cpu (600 s in runtime/odoo.conf.template), and lets the other
# jobs run; the next run goes on.
RUN_SECONDS = 120
# An event failing this many times is left "failed" for the operator.
MAX_ATTEMPTS = 5


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
    payload = fields.Text(readonly=True, help="The event as Stripe signed it.")
    stripe_created = fields.Datetime(string="Sent by Stripe", readonly=True)
    state = fields.Selection(
        [("pending", "To process"), ("done", "Processed"), ("failed", "Failed")],
        required=True, default="pending", readonly=True, index=True,
        help="Stored when it arrives, processed by the scheduled job within about two minutes; "
             "a failure is tried again later, and after five the event stays failed.")
    attempts = fields.Integer(readonly=True)
    retry_after = fields.Datetime(readonly=True)
    error = fields.Text(string="Last error", readonly=True)
    processed_date = fields.Datetime(string="Processed on", readonly=True)

    # Stripe may deliver an event more than once (and two deliveries at
    # the same time): the second finds the first's row and does nothing.
    _sql_constraints = [
        ("event_unique", "unique(event_id)", "A Stripe event is processed once."),
    ]

    @api.model_cr
    def init(self):
        # Events stored before the queue existed were processed when they
        # arrived and kept no payload: an upgrade gives them the state
        # "pending" by default, which would send them to the queue again.
        self.env.cr.execute("UPDATE webo_stripe_event SET state = 'done' "
                            "WHERE state = 'pending' AND payload IS NULL")

    @api.model
    def _webo_receive(self, payload, signature):
        """Verify one webhook delivery and store its event for the queue;
        returns a short word for the answer's body ("received",
        "duplicate"), raises WebhookRefused otherwise. Stripe is answered
        at once; the event is processed by ``_webo_process_queue``."""
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
        # A subscription's automatic payment set up on Stripe's page: an
        # event of another workspace's or of an unknown one is refused here.
        self.env["webo.stripe.mandate"]._webo_of_event(event_type, obj, account)
        outside = not refunds and self._webo_outside_refund_of(event_type, obj, account)
        checkout = refunds[:1].checkout_id or outside or self._webo_checkout_of(event_type, obj)
        if checkout and not refunds and not outside:
            amount, currency = self._webo_amount_of(event_type, obj)
            problem = checkout._webo_check_event(account, amount, currency)
            if problem:
                _logger.warning("Stripe event %s refused: %s", event_id, problem)
                raise WebhookRefused(400, "not this payment")
        created = datetime.utcfromtimestamp(event.get("created") or 0)
        self.env.cr.execute(INSERT_SQL, [event_id, event_type, account, checkout.id or None,
                                         payload.decode(), fields.Datetime.to_string(created),
                                         self.env.uid, self.env.uid])
        if not self.env.cr.fetchone():
            _logger.info("Stripe event %s already received", event_id)
            return "duplicate"
        return "received"

    def _webo_process(self):
        """Do what this stored event says (nothing for an event that is
        about none of webo's payments or refunds)."""
        self.ensure_one()
        event = json.loads(self.payload)
        event_type, account, obj = self.event_type, self.stripe_account_id, event["data"]["object"]
        refunds = self._webo_refunds_of(event_type, obj, account)
        mandate = self.env["webo.stripe.mandate"]._webo_of_event(event_type, obj, account)
        outside = not refunds and self._webo_outside_refund_of(event_type, obj, account)
        if event_type == "account.updated":
            service = self.env["webo.sale.service"].sudo().search([("stripe_account_id", "=", account)])
            service._webo_stripe_account_updated(obj, event.get("created") or 0)
        elif refunds:
            self._webo_apply_refund(event_type, obj, refunds)
        elif mandate:
            mandate._webo_apply_event(event_type, obj)
        elif outside:
            self.env["webo.stripe.refund"]._webo_book_outside(outside, obj)
        elif self.checkout_id:
            self._webo_apply(event_type, obj, self.checkout_id)

    # The queue.

    @api.model
    def _cron_process_queue(self):
        self._webo_process_queue()

    @api.model
    def _webo_process_queue(self, seconds=RUN_SECONDS):
        """Process the stored events due, oldest first, each in a
        transaction of its own (committed, unless the context key
        ``webo_stripe_no_commit`` keeps everything in the caller's: Odoo's
        test runner), for about ``seconds``. Several runs share the queue
        (SKIP LOCKED). Returns how many events were processed or failed."""
        deadline = time.monotonic() + seconds

        def claim():
            self.env.cr.execute(CLAIM_SQL)
            return self.browse([row[0] for row in self.env.cr.fetchall()])

        def process(event):
            event._webo_process_once()
            return 1, time.monotonic() > deadline

        return run_in_batches(self.env, claim, process,
                              commit=not self.env.context.get("webo_stripe_no_commit"))

    def _webo_process_once(self):
        """Process this event in a savepoint; a failure is rolled back, its
        reason kept and logged, and the event tried again later (in 2, 4,
        8... minutes), up to MAX_ATTEMPTS times. An event that paid is
        marked done in the same transaction as the payment: it is never
        processed again, and the checkout's lock keeps its payment's other
        events from paying twice."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                self._webo_process()
        except CONNECTION_LOST:
            raise
        except Exception as error:  # pylint: disable=broad-except
            # The cache still holds what the savepoint rolled back.
            self.env.clear()
            attempts = self.attempts + 1
            failed = attempts >= MAX_ATTEMPTS
            _logger.warning("Stripe event %s not processed (attempt %d%s): %s", self.event_id, attempts,
                            ", given up" if failed else "", error_text(error), exc_info=True)
            self.write({"attempts": attempts, "error": error_text(error),
                        "state": "failed" if failed else "pending",
                        "retry_after": fields.Datetime.to_string(
                            datetime.utcnow() + timedelta(minutes=2 ** attempts))})
            return
        self.write({"state": "done", "attempts": self.attempts + 1, "error": False,
                    "processed_date": fields.Datetime.now()})

    def webo_retry(self):
        """The operator's "Process again" of failed events: back in the
        queue, from their first attempt."""
        if not self.env.user.has_group("webo_sale.group_platform_operator"):
            raise AccessError(_("Only the platform operator can process Stripe events again."))
        self.sudo().filtered(lambda event: event.state == "failed").write(
            {"state": "pending", "attempts": 0, "retry_after": False})
        return True

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
