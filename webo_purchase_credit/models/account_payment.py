from odoo import api, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    @api.multi
    def cancel(self):
        """A cancelled client payment pays no purchase: what it settled is
        reversed in both books first."""
        settlements = self.env["webo.purchase.settlement"].sudo().search(
            [("client_payment_id", "in", self.ids)])
        if settlements:
            settlements._webo_reverse()
        return super().cancel()
