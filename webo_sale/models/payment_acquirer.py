from odoo import api, fields, models


class PaymentAcquirer(models.Model):
    _inherit = "payment.acquirer"

    # The platform holds the Stripe keys of every workspace: a designer
    # never reads the secret one, not even their own workspace's.
    stripe_secret_key = fields.Char(groups="webo_sale.group_platform_operator")

    @api.model
    def _get_stripe_api_url(self):
        """Stripe's API host, unless the platform names another one in the
        system parameter ``webo_sale.stripe_api_host`` (e.g. ``127.0.0.1:12111/v1``
        for a Stripe mock server or an outgoing proxy; HTTPS either way)."""
        host = self.env["ir.config_parameter"].sudo().get_param("webo_sale.stripe_api_host")
        return host or super()._get_stripe_api_url()
