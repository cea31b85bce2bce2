"""Card and SEPA debit payments through Stripe: the payment page's button
(a Checkout Session made here, then Stripe's hosted page, where 3-D Secure
and the SEPA mandate happen) and Stripe's signed webhook, the only thing
that marks an invoice paid. The browser's return to the page changes
nothing."""
import logging

import werkzeug

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from ..models.webo_stripe_event import WebhookRefused
from .portal import _can_see, _not_found, _workspace_invoice

_logger = logging.getLogger(__name__)


class WeboStripeCheckout(http.Controller):

    # No CSRF token: the anonymous page keeps no session to bind one to;
    # the invoice's access token is what authorizes the request, and all it
    # does is lead to Stripe's page for what the invoice owes.
    @http.route(["/my/invoices/<int:invoice_id>/stripe"], type="http", auth="public",
                methods=["POST"], website=False, csrf=False)
    def webo_stripe_checkout(self, invoice_id, access_token=None, **kw):
        """"Payer par carte ou prélèvement SEPA": Stripe's page for the
        amount due. The invoice's token (or a user who may read it) is
        needed; a paid or credited invoice is refused (409)."""
        ours, invoice = _workspace_invoice(invoice_id)
        if not ours or not invoice or not _can_see(invoice, access_token):
            return _not_found()
        lang = invoice.partner_id.lang or "fr_FR"
        page = "%s/my/invoices/%d%s" % (request.httprequest.host_url.rstrip("/"), invoice.id,
                                        "?access_token=%s" % access_token if access_token else "")
        try:
            url = request.env["webo.stripe.checkout"].with_context(lang=lang)._webo_start(
                invoice, page, page)
        except UserError as error:
            return werkzeug.wrappers.Response(error.name, status=409,
                                              content_type="text/plain; charset=utf-8")
        response = werkzeug.utils.redirect(url, code=303)
        response.webo_offsite = True  # Stripe's page (see ir.http's _webo_stay_on_site)
        return response

    @http.route(["/webo/stripe/webhook"], type="http", auth="public", methods=["POST"], csrf=False)
    def webo_stripe_webhook(self, **kw):
        """Stripe's events of the connected accounts (Connect endpoint)."""
        payload = request.httprequest.get_data()
        signature = request.httprequest.headers.get("Stripe-Signature")
        try:
            result = request.env["webo.stripe.event"].sudo()._webo_receive(payload, signature)
        except WebhookRefused as refusal:
            return werkzeug.wrappers.Response(str(refusal), status=refusal.status, content_type="text/plain")
        return werkzeug.wrappers.Response(result, status=200, content_type="text/plain")
