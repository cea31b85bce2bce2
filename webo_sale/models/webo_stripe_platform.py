"""The platform's Stripe account: its keys, and the client of Stripe's API
that every payment call goes through.

The platform holds ONE Stripe account (Connect platform). Its keys are
system parameters, which only the platform operator (Settings) reads:
designers never see a key, and no workspace has keys of its own. Each
workspace gets a connected account at the opening of its sales service;
calls for it carry that account in ``Stripe-Account`` (direct charges).
"""
import logging

import stripe

from odoo import _, api, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

SECRET_KEY = "webo_sale.stripe_secret_key"
PUBLISHABLE_KEY = "webo_sale.stripe_publishable_key"
WEBHOOK_SECRET = "webo_sale.stripe_webhook_secret"
# Another address for Stripe's API and its files host (uploads): a Stripe
# mock server, an outgoing proxy; Stripe's own when unset.
API_BASE = "webo_sale.stripe_api_base"
# Seconds before a call to Stripe gives up: a payment page or an opening
# does not hang on a slow network.
TIMEOUT = 30


class WeboStripePlatform(models.AbstractModel):
    _name = "webo.stripe.platform"
    _description = "Platform Stripe Account"

    @api.model
    def _webo_param(self, key):
        return (self.env["ir.config_parameter"].sudo().get_param(key) or "").strip()

    @api.model
    def _webo_enabled(self):
        """Whether the platform collects card and SEPA payments: its secret
        key is set. Without it, workspaces are paid by bank transfer only."""
        return bool(self._webo_param(SECRET_KEY))

    @api.model
    def _webo_client(self):
        """A client of Stripe's API with the platform's secret key."""
        secret = self._webo_param(SECRET_KEY)
        if not secret:
            raise UserError(_("Card and SEPA debit payments are not available on this platform."))
        base = self._webo_param(API_BASE)
        return stripe.StripeClient(
            secret, base_addresses={"api": base, "files": base} if base else None, max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=TIMEOUT))

    @api.model
    def _webo_webhook_secret(self):
        return self._webo_param(WEBHOOK_SECRET)

    @api.model
    def _webo_unreachable(self, error):
        """The UserError of a call Stripe did not answer (network, outage)."""
        _logger.warning("Stripe could not be reached: %s", error)
        return UserError(_("The payment provider cannot be reached at the moment: try again in a "
                           "few minutes."))
