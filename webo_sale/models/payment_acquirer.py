from odoo import api, models


class PaymentAcquirer(models.Model):
    _inherit = "payment.acquirer"

    @api.model
    def _get_stripe_api_url(self):
        """Stripe's API host, unless the platform names another one in the
        system parameter ``webo_sale.stripe_api_host`` (e.g. ``127.0.0.1:12111/v1``
        for a Stripe mock server or an outgoing proxy; HTTPS either way)."""
        host = self.env["ir.config_parameter"].sudo().get_param("webo_sale.stripe_api_host")
        return host or super()._get_stripe_api_url()
