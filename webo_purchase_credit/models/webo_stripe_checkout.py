import logging

import stripe

from odoo import fields, models
from odoo.addons.webo_sale.models.webo_stripe_checkout import minor_units
from odoo.tools import float_compare, float_is_zero

_logger = logging.getLogger(__name__)


class WeboStripeCheckout(models.Model):
    """The platform's share of a client's card or SEPA payment: the
    workspace's open deferred purchases, asked of Stripe as the payment's
    application fee when the session is made, and taken by Stripe from the
    connected account when the payment succeeds (a failed SEPA debit takes
    nothing). The purchases are then settled for exactly what Stripe took."""

    _inherit = "webo.stripe.checkout"

    purchase_fee_minor = fields.Integer(
        string="Platform Share Asked (cents)", readonly=True,
        help="The application fee the session asked Stripe to take for the platform: what the "
             "workspace owed on its deferred purchases then, at most the amount paid.")
    purchase_fee_id = fields.Char(
        string="Stripe Application Fee", readonly=True, copy=False,
        help="The application fee Stripe took from the payment for the platform.")
    purchase_fee_amount = fields.Monetary(
        string="Platform Share Taken", readonly=True, copy=False,
        help="What Stripe took from the payment for the platform's deferred purchases.")
    purchase_fee_returned = fields.Monetary(
        string="Platform Share Given Back", readonly=True, copy=False,
        help="What the platform gave back of it to the connected account: purchases paid "
             "meanwhile by another payment, or a payment that could not be recorded.")

    def _webo_session_params(self, success_url, cancel_url):
        params = super()._webo_session_params(success_url, cancel_url)
        fee = self._webo_purchase_fee()
        if fee:
            self.purchase_fee_minor = fee
            params["payment_intent_data"]["application_fee_amount"] = fee
        return params

    def _webo_paid(self, method, intent_id):
        recorded = super()._webo_paid(method, intent_id)
        # The checkout's row is locked by the payment: a repeated event
        # finds the fee already collected.
        if self.purchase_fee_minor and self.state in ("paid", "refused") and not self.purchase_fee_id:
            self._webo_collect_fee()
        return recorded

    # Business methods

    def _webo_purchase_fee(self):
        """The platform's share to ask of this payment, in cents: what the
        workspace owes on its deferred purchases, at most the amount; none
        in another currency than the platform's."""
        self.ensure_one()
        orders = self.env["webo.purchase.order"].sudo()
        if self.currency_id != orders._webo_platform().currency_id:
            return 0
        due = sum(orders.search([("company_id", "=", self.company_id.id),
                                 ("state", "=", "confirmed")]).mapped("amount_due"))
        return max(min(minor_units(due, self.currency_id), self.amount_minor), 0)

    def _webo_collect_fee(self):
        """Stripe took the platform's share with the payment: it pays the
        workspace's open purchases, oldest first, partly if need be. What no
        purchase needs any more (paid meanwhile by another payment), or all
        of it when the payment was not recorded, goes back to the connected
        account, so that the books hold exactly what Stripe kept."""
        self.ensure_one()
        fee_id, fee_minor = self._webo_fee_taken()
        currency = self.currency_id
        taken = currency.round(fee_minor / 10 ** currency.decimal_places)
        kept = 0.0
        if self.state == "paid" and not float_is_zero(taken, precision_rounding=currency.rounding):
            settlements = self.invoice_id.sudo()._webo_settle_orders(self.payment_id, taken, fee_id)
            kept = currency.round(sum(settlements.mapped("amount")))
        returned = currency.round(taken - kept)
        if float_compare(returned, 0.0, precision_rounding=currency.rounding) > 0:
            self._webo_return_fee(fee_id, minor_units(returned, currency))
        self.write({"purchase_fee_id": fee_id or False, "purchase_fee_amount": taken,
                    "purchase_fee_returned": returned})

    def _webo_fee_taken(self):
        """(id, amount in cents) of the application fee Stripe took from
        this payment's charge, as Stripe has it."""
        platform = self.env["webo.stripe.platform"]
        try:
            intent = platform._webo_client().v1.payment_intents.retrieve(
                self.payment_intent_id, {"expand": ["latest_charge"]},
                {"stripe_account": self.stripe_account_id}).to_dict()
        except stripe.StripeError as error:
            _logger.warning("the platform's share of %s could not be read: %s", self.payment_intent_id, error)
            # Nothing of the event is kept: the events' queue tries it
            # again later.
            raise platform._webo_unreachable(error) from None
        charge = intent.get("latest_charge") or {}
        if not charge.get("application_fee"):
            _logger.warning("Stripe took no platform share from %s", self.payment_intent_id)
            return None, 0
        return charge["application_fee"], charge.get("application_fee_amount") or 0

    def _webo_return_fee(self, fee_id, amount_minor):
        """Give ``amount_minor`` of the application fee back to the
        connected account (an application fee refund, once per fee)."""
        platform = self.env["webo.stripe.platform"]
        try:
            platform._webo_client().v1.application_fees.refunds.create(
                fee_id, {"amount": amount_minor, "metadata": {"webo_checkout": self.reference}},
                {"idempotency_key": "webo-fee-return-%s" % fee_id})
        except stripe.StripeError as error:
            _logger.warning("the platform's share %s could not be given back: %s", fee_id, error)
            raise platform._webo_unreachable(error) from None
