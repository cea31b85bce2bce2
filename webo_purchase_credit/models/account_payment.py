from odoo import _, api, models
from odoo.exceptions import UserError


class AccountPayment(models.Model):
    _inherit = "account.payment"

    @api.multi
    def cancel(self):
        """A cancelled client payment pays no purchase: what it settled is
        reversed in both books first. Not a card or SEPA payment whose
        platform share Stripe took: the books would no longer hold what
        Stripe kept."""
        settlements = self.env["webo.purchase.settlement"].sudo().search(
            [("client_payment_id", "in", self.ids)])
        taken = settlements.filtered("stripe_fee_id")
        if taken:
            raise UserError(_(
                "Stripe took the platform's share (purchases %(orders)s) from the payment "
                "%(payment)s: it cannot be cancelled. Cancel the invoice with a credit note and "
                "refund the client instead."
            ) % {"orders": ", ".join(taken.mapped("order_id.name")),
                 "payment": taken[:1].client_payment_id.name})
        if settlements:
            settlements._webo_reverse()
        return super().cancel()
