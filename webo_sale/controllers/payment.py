"""Odoo 11's payment routes that webo does not use, closed or guarded.

Clients pay a workspace invoice from its page only (``/my/invoices/<id>``,
then ``/invoice/pay/<id>/form_tx``, guarded in portal.py). Odoo's other
payment routes make transactions for any reference, amount and payment
method (``/website_payment/...``), move a transaction from its reference
alone (``/payment/transfer/feedback``) or register cards for any client
(``/payment/stripe/s2s/...``): they answer 404 for a workspace's payment
methods (the platform's own keep Odoo's behaviour, with local redirections
only).
"""
from odoo import http
from odoo.addons.payment.controllers.portal import WebsitePayment
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.addons.payment_transfer.controllers.main import OgoneController
from odoo.http import request

from ..models.ir_http import is_local_url


def _workspace_acquirer(acquirer_id):
    try:
        acquirer = request.env["payment.acquirer"].sudo().browse(int(acquirer_id)).exists()
    except (TypeError, ValueError):
        return True
    return not acquirer or acquirer.company_id.webo_workspace


class WeboWebsitePayment(WebsitePayment):
    """A payment without a document: none in webo."""

    @http.route()
    def pay(self, *args, **kwargs):
        return request.not_found()

    @http.route()
    def transaction(self, *args, **kwargs):
        return request.not_found()

    @http.route()
    def payment_token(self, *args, **kwargs):
        return request.not_found()

    @http.route()
    def confirm(self, *args, **kwargs):
        return request.not_found()


class WeboTransferController(OgoneController):

    @http.route()
    def transfer_form_feedback(self, **post):
        """A client of a workspace pays by transfer from the instructions of
        the page: no transaction moves to "pending" from a reference sent
        by anybody."""
        transaction = request.env["payment.transaction"].sudo().search(
            [("reference", "=", post.get("reference"))], limit=1) if post.get("reference") else None
        if not transaction or transaction.acquirer_id.company_id.webo_workspace:
            return request.not_found()
        if not is_local_url(post.get("return_url") or "/"):
            post.pop("return_url")
        return super().transfer_form_feedback(**post)


class WeboStripeRegistration(StripeController):
    """No card is saved for a workspace's clients: they pay each invoice."""

    @http.route()
    def stripe_s2s_create_json(self, **kwargs):
        if _workspace_acquirer(kwargs.get("acquirer_id")):
            return False
        return super().stripe_s2s_create_json(**kwargs)

    @http.route()
    def stripe_s2s_create(self, **post):
        if _workspace_acquirer(post.get("acquirer_id")):
            return request.not_found()
        return super().stripe_s2s_create(**post)

    @http.route()
    def stripe_s2s_create_json_3ds(self, verify_validity=False, **kwargs):
        if _workspace_acquirer(kwargs.get("acquirer_id")):
            return False
        return super().stripe_s2s_create_json_3ds(verify_validity=verify_validity, **kwargs)
