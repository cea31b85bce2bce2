import base64
import json

from odoo import _, http
from odoo.addons.account.controllers.portal import PortalAccount
from odoo.addons.account_payment.controllers.payment import PaymentPortal
from odoo.addons.payment_stripe.controllers.main import StripeController
from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.exceptions import AccessError
from odoo.http import request
from odoo.tools import consteq

from ..models.ir_http import is_local_url
from . import payment_page
from .security_headers import secure_response


def _workspace_invoice(invoice_id):
    """``(ours, invoice)``: whether ``invoice_id`` is ours to answer (a
    workspace invoice, or no invoice at all: a 404 rather than Odoo 11's
    error; the platform's keep Odoo's standard portal), and the issued
    workspace invoice or credit note (sudo), or None."""
    invoice = request.env["account.invoice"].sudo().browse(invoice_id).exists()
    if not invoice:
        return True, None
    if not invoice.company_id.webo_workspace:
        return False, None
    issued = invoice.type in ("out_invoice", "out_refund") and invoice.state in ("open", "paid")
    return True, invoice if issued else None


def _token_matches(expected, given):
    """Whether ``given`` is the token ``expected``. A token that is not
    ASCII text (which ``consteq`` refuses with an error) is a wrong one."""
    return bool(expected and given and isinstance(given, str) and given.isascii()
                and consteq(expected, given))


def _not_found():
    """The payment page's 404: a French page in the page's frame, saying
    nothing of any invoice or workspace (the site is French; the visitor
    is anonymous)."""
    request.context = dict(request.context, lang="fr_FR")
    html = request.env["ir.qweb"].render("webo_sale.payment_page_not_found", {
        "page": None, "request": request, "json": json})
    response = request.make_response(html, headers=[("Content-Type", "text/html; charset=utf-8")])
    response.status_code = 404
    return secure_response(response)


def _can_see(invoice_sudo, access_token):
    """The invoice's own token, or a user allowed to read it (its
    designer, the client's portal login)."""
    if _token_matches(invoice_sudo.access_token, access_token):
        return True
    if request.env.user._is_public():
        return False
    invoice = invoice_sudo.sudo(request.env.user)
    try:
        invoice.check_access_rights("read")
        invoice.check_access_rule("read")
    except AccessError:
        return False
    return True


def _is_the_client(row):
    """Whether the page is opened by the invoice's client: an anonymous
    visitor with the link, or the client's own portal login; not the
    designer's preview, nor anybody else signed in."""
    user = request.env.user
    if user._is_public():
        return True
    return user.share and user.sudo().commercial_partner_id.id == request.env[
        "res.partner"].sudo().browse(row["partner_id"]).commercial_partner_id.id


class WeboPortalAccount(PortalAccount):

    # Not a "website" route: the page sets its language itself (the
    # client's), Odoo's language detection of website pages is not needed.
    @http.route(["/my/invoices/<int:invoice_id>"], type="http", auth="public", website=False)
    def portal_my_invoice_detail(self, invoice_id, access_token=None, **kw):
        """The client's own page for an invoice of a workspace: who bills,
        what, how much is due, the PDF, and how to pay. A wrong, missing or
        foreign token finds nothing (404), without a word of the invoice."""
        row = payment_page.read_invoice(request.env, invoice_id)
        if row and not row["webo_workspace"]:
            return super().portal_my_invoice_detail(invoice_id, access_token=access_token, **kw)
        issued = row and row["type"] in ("out_invoice", "out_refund") and row["state"] in ("open", "paid")
        if not issued:
            return _not_found()
        has_token = _token_matches(row["access_token"], access_token)
        if not has_token and not _can_see(request.env["account.invoice"].sudo().browse(invoice_id), None):
            return _not_found()
        # In the client's language, whoever opens it (the public user's is English).
        request.context = dict(request.context, lang=row["lang"] or request.env.lang)
        page = payment_page.page_values(request.env, row, access_token if has_token else None)
        # Rendered by QWeb directly: ir.ui.view's rendering would read the
        # whole template record (its translated arch) on every request.
        html = request.env["ir.qweb"].render("webo_sale.portal_invoice_payment_page", {
            "page": page, "pay_label": _("Pay now"), "request": request, "json": json})
        if _is_the_client(row) and payment_page.is_person_reading(request.httprequest):
            payment_page.record_first_view(request.env, row)
        return secure_response(
            request.make_response(html, headers=[("Content-Type", "text/html; charset=utf-8")]))

    @http.route(["/my/invoices/pdf/<int:invoice_id>"], type="http", auth="public", website=True)
    def portal_my_invoice_report(self, invoice_id, access_token=None, **kw):
        """The client downloads the very PDF they were sent (the legal
        document of the workspace, stored when the invoice was issued), not
        Odoo's standard layout."""
        ours, invoice = _workspace_invoice(invoice_id)
        if not ours:
            return super().portal_my_invoice_report(invoice_id, access_token=access_token, **kw)
        if not invoice or not _can_see(invoice, access_token):
            return _not_found()
        attachment = invoice._webo_pdf_attachment()
        pdf = base64.b64decode(attachment.datas)
        return secure_response(request.make_response(pdf, headers=[
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(pdf)),
            ("Content-Disposition", 'inline; filename="%s"' % attachment.datas_fname),
        ]), pdf=True)


class WeboPortalSubscriptions(CustomerPortal):

    def _prepare_portal_layout_values(self):
        values = super()._prepare_portal_layout_values()
        subscriptions = request.env["webo.subscription"]
        readable = subscriptions.check_access_rights("read", raise_exception=False)
        values["webo_subscription_count"] = subscriptions.search_count([]) if readable else 0
        return values

    @http.route(["/my/subscriptions"], type="http", auth="user", website=True)
    def portal_my_subscriptions(self, **kw):
        """A client with a portal login: their monthly subscriptions (the
        record rules show them their own only)."""
        subscriptions = request.env["webo.subscription"].search([], order="state, date_start desc")
        values = self._prepare_portal_layout_values()
        values.update({"subscriptions": subscriptions.sudo(), "page_name": "webo_subscription"})
        return request.render("webo_sale.portal_my_subscriptions", values)


class WeboPaymentPortal(PaymentPortal):

    @http.route("/invoice/pay/<int:invoice_id>/form_tx", type="json", auth="public", website=True)
    def invoice_pay_form(self, acquirer_id, invoice_id, save_token=False, access_token=None, **kwargs):
        """Odoo 11 makes a transaction for any invoice id. A workspace
        invoice needs its token (or a user who can read it), a payment
        method of its own workspace, and an amount still due."""
        ours, invoice = _workspace_invoice(invoice_id)
        if not ours:
            return super().invoice_pay_form(acquirer_id, invoice_id, save_token=save_token,
                                            access_token=access_token, **kwargs)
        if not invoice or not _can_see(invoice, access_token) or not invoice._webo_is_payable():
            return False
        try:
            acquirer = request.env["payment.acquirer"].sudo().browse(int(acquirer_id)).exists()
        except (TypeError, ValueError):
            return False
        if not acquirer or acquirer.company_id != invoice.company_id or not acquirer.website_published:
            return False
        # Back to the invoice's own page after paying, whatever the caller asked.
        kwargs["success_url"] = "/my/invoices/%d%s" % (
            invoice.id, "?access_token=%s" % access_token if access_token else "")
        return super().invoice_pay_form(acquirer.id, invoice.id, save_token=False,
                                        access_token=access_token, **kwargs)

    @http.route()
    def invoice_pay_token(self, invoice_id, pm_id=None, **kwargs):
        """Paying with a saved card: no workspace invoice is paid that way
        (no card is saved), and the answer goes back to this site only."""
        ours, _invoice = _workspace_invoice(invoice_id)
        if ours:
            return request.not_found()
        for key in ("error_url", "success_url"):
            if not is_local_url(kwargs.get(key) or "/"):
                kwargs.pop(key)
        return super().invoice_pay_token(invoice_id, pm_id=pm_id, **kwargs)


class WeboStripeController(StripeController):

    @http.route(["/payment/stripe/create_charge"], type="json", auth="public")
    def stripe_create_charge(self, **post):
        """Charge a card once per transaction: a second submission of the
        same transaction (a double click, a replayed request) is not sent
        to Stripe again. The page the payment form then opens is one of
        this site."""
        if not is_local_url(post.get("return_url") or "/"):
            post["return_url"] = "/"
        transactions = request.env["payment.transaction"].sudo()
        tx = transactions.search([("reference", "=", post.get("tx_ref"))]) if post.get("tx_ref") else None
        if tx and len(tx) == 1 and tx.state not in ("draft", "pending"):
            return post.get("return_url", "/")
        return super().stripe_create_charge(**post)
