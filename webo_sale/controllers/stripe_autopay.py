"""A subscription paid automatically, chosen and revoked by the client on
the page of one of its invoices: "Payer automatiquement les prochaines
factures" leads to Stripe's page (setup of a card or a SEPA mandate);
Stripe's signed webhook alone makes it active."""
import werkzeug

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

from .portal import _can_see, _is_the_client, _not_found, _workspace_invoice


def _client_invoice(invoice_id, access_token):
    """The invoice (sudo) when the request is its client's (the invoice's
    token, or the client's portal login), else None: a designer's preview
    does not choose for the client."""
    ours, invoice = _workspace_invoice(invoice_id)
    if not ours or not invoice or invoice.type != "out_invoice" or not _can_see(invoice, access_token):
        return None
    if not _is_the_client({"partner_id": invoice.partner_id.id}):
        return None
    return invoice


def _refused(error):
    return werkzeug.wrappers.Response(error.name, status=409, content_type="text/plain; charset=utf-8")


def _page_url(invoice, access_token):
    return "%s/my/invoices/%d%s" % (request.httprequest.host_url.rstrip("/"), invoice.id,
                                    "?access_token=%s" % access_token if access_token else "")


class WeboStripeAutopay(http.Controller):

    # No CSRF token, as the payment button's: the anonymous page has no
    # session; the invoice's access token authorizes the request.
    @http.route(["/my/invoices/<int:invoice_id>/autopay"], type="http", auth="public",
                methods=["POST"], website=False, csrf=False)
    def webo_autopay_start(self, invoice_id, access_token=None, accept=None, **kw):
        """The client accepted the authorisation: Stripe's page to register
        a card or a bank account (SEPA mandate)."""
        invoice = _client_invoice(invoice_id, access_token)
        if not invoice:
            return _not_found()
        page = _page_url(invoice, access_token)
        httprequest = request.httprequest
        try:
            url = request.env["webo.stripe.mandate"].with_context(
                lang=invoice.partner_id.lang or "fr_FR")._webo_start(
                    invoice, accept == "1", httprequest.remote_addr,
                    httprequest.headers.get("User-Agent"), page)
        except UserError as error:
            return _refused(error)
        response = werkzeug.utils.redirect(url, code=303)
        response.webo_offsite = True  # Stripe's page (see ir.http's _webo_stay_on_site)
        return response

    @http.route(["/my/invoices/<int:invoice_id>/autopay/revoke"], type="http", auth="public",
                methods=["POST"], website=False, csrf=False)
    def webo_autopay_revoke(self, invoice_id, access_token=None, **kw):
        """The client stops the automatic payment of the invoice's subscription."""
        invoice = _client_invoice(invoice_id, access_token)
        if not invoice:
            return _not_found()
        mandates = invoice.webo_subscription_id.sudo().webo_mandate_ids.filtered(
            lambda mandate: mandate.state == "active")
        if not mandates:
            return _not_found()
        try:
            mandates.with_context(lang=invoice.partner_id.lang or "fr_FR")._webo_revoke()
        except UserError as error:
            return _refused(error)
        return werkzeug.utils.redirect(_page_url(invoice, access_token), code=303)
