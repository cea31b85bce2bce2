import logging
import uuid

import stripe

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.misc import formatLang

_logger = logging.getLogger(__name__)

METHODS = [("card", "Card"), ("sepa_debit", "SEPA Direct Debit")]


def minor_units(amount, currency):
    """``amount`` in the currency's smallest unit (cents), as Stripe counts it."""
    return int(float_round(amount * 10 ** currency.decimal_places, 0))


class WeboStripeCheckout(models.Model):
    """One attempt of a client to pay an invoice by card or SEPA debit on
    Stripe's hosted page (a Checkout Session on the workspace's connected
    account). The invoice is paid only when Stripe's signed webhook says
    so, for the amount asked here."""

    _name = "webo.stripe.checkout"
    _description = "Card or SEPA Debit Payment of an Invoice"
    _order = "id desc"

    reference = fields.Char(
        required=True, readonly=True, index=True, copy=False,
        default=lambda self: uuid.uuid4().hex,
        help="Sent to Stripe in the metadata of the session and of its payment: every event "
             "of the payment names it.")
    session_id = fields.Char(string="Checkout Session", readonly=True, index=True, copy=False)
    payment_intent_id = fields.Char(readonly=True, copy=False)
    invoice_id = fields.Many2one("account.invoice", required=True, readonly=True, ondelete="restrict",
                                 index=True)
    company_id = fields.Many2one(related="invoice_id.company_id", store=True, readonly=True)
    stripe_account_id = fields.Char(required=True, readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True, help="The amount due when the client clicked.")
    amount_minor = fields.Integer(string="Amount in Cents", required=True, readonly=True)
    method = fields.Selection(METHODS, readonly=True)
    state = fields.Selection(
        [("open", "On Stripe's page"), ("processing", "SEPA debit submitted"), ("paid", "Paid"),
         ("failed", "Failed"), ("refused", "Not recorded")],
        required=True, default="open", readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)
    mandate_id = fields.Many2one(
        "webo.stripe.mandate", string="Automatic Payment", readonly=True, ondelete="restrict", index=True,
        help="Set on an off-session charge of a subscription's invoice (no page of Stripe's).")

    _sql_constraints = [
        ("reference_unique", "unique(reference)", "A checkout reference is used once."),
        ("session_unique", "unique(session_id)", "A Checkout Session pays one invoice."),
    ]

    # Business methods

    @api.model
    def _webo_start(self, invoice, success_url, cancel_url):
        """A Checkout Session for what ``invoice`` still owes, on its
        workspace's connected account: returns the URL of Stripe's hosted
        page. Refused (UserError) when nothing is due."""
        invoice = invoice.sudo()
        if not invoice._webo_is_payable():
            raise UserError(_("This invoice is not awaiting payment: nothing to pay."))
        service = self.env["webo.sale.service"].sudo().search([("company_id", "=", invoice.company_id.id)])
        platform = self.env["webo.stripe.platform"]
        if not service.stripe_account_id or not platform._webo_enabled():
            raise UserError(_("Card and SEPA debit payments are not available for this invoice: "
                              "pay by bank transfer."))
        currency = invoice.currency_id
        checkout = self.sudo().create({
            "invoice_id": invoice.id, "stripe_account_id": service.stripe_account_id,
            "currency_id": currency.id, "amount": invoice.residual,
            "amount_minor": minor_units(invoice.residual, currency),
        })
        try:
            session = platform._webo_client().v1.checkout.sessions.create(
                checkout._webo_session_params(success_url, cancel_url),
                {"stripe_account": service.stripe_account_id,
                 "idempotency_key": "webo-checkout-%s" % checkout.reference})
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            _logger.warning("Stripe refused the checkout of invoice %s: %s", invoice.number, error)
            raise UserError(_("Card and SEPA debit payments are unavailable at the moment: try "
                              "again later or pay by bank transfer.")) from None
        checkout.session_id = session.id
        return session.url

    def _webo_session_params(self, success_url, cancel_url):
        self.ensure_one()
        invoice = self.invoice_id
        metadata = {"webo_checkout": self.reference, "webo_invoice": invoice.number}
        lang = (invoice.partner_id.lang or "fr_FR")[:2]
        params = {
            "mode": "payment",
            "payment_method_types": [code for code, _label in METHODS],
            "line_items": [{"quantity": 1, "price_data": {
                "currency": self.currency_id.name.lower(), "unit_amount": self.amount_minor,
                "product_data": {"name": _("Invoice %(number)s") % {"number": invoice.number}}}}],
            "client_reference_id": invoice.number,
            "metadata": metadata,
            "payment_intent_data": {"description": invoice.number, "metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "locale": lang if lang in ("fr", "en") else "auto",
        }
        email = invoice.webo_billing_partner_id.email
        if email:
            params["customer_email"] = email
        return params

    def _webo_check_event(self, account, amount, currency):
        """What is wrong (for the log) with a signed event of ``account`` for
        ``amount`` (minor units) in ``currency`` as an event of this payment:
        another workspace's account, another amount; None when it is one."""
        self.ensure_one()
        service = self.env["webo.sale.service"].sudo().search([("company_id", "=", self.company_id.id)])
        if account != self.stripe_account_id or account != service.stripe_account_id:
            return "the event's account is not the invoice's workspace's"
        if amount is not None and (amount != self.amount_minor
                                   or (currency or "").lower() != self.currency_id.name.lower()):
            return "the amount paid is not the amount asked"
        return None

    def _webo_lock(self):
        self.env.cr.execute("SELECT state FROM webo_stripe_checkout WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_cache(["state"], self.ids)

    def _webo_submitted(self, method, intent_id):
        """The client submitted a SEPA debit: paid in a few days, or not."""
        self._webo_lock()
        if self.state == "open":
            self.write({"state": "processing", "method": method, "payment_intent_id": intent_id})

    def _webo_paid(self, method, intent_id):
        """Stripe collected the payment: record it on the invoice, once,
        through the same payment as every other (the alert, the receipt and
        the Synthèse follow), for at most what the invoice still owes."""
        self._webo_lock()
        if self.state in ("paid", "refused"):
            return False
        invoice = self.invoice_id.sudo().with_context(
            lang=self.company_id.partner_id.lang or "fr_FR")
        values = {"method": method or self.method, "payment_intent_id": intent_id or self.payment_intent_id}
        if not invoice._webo_takes_payment(self.amount, "Stripe %s" % values["payment_intent_id"]):
            self.write(dict(values, state="refused"))
            return False
        self.write(dict(values, state="paid"))
        # The receipt names the method in the client's language.
        client_lang = invoice.partner_id.lang or invoice.env.lang
        self.payment_id = invoice.with_context(lang=client_lang)._webo_post_payment(
            self.amount, invoice._webo_payment_journal(), currency_id=self.currency_id.id,
            webo_stripe_checkout_id=self.id)
        return True

    def _webo_failed(self, method, intent_id, reason):
        """The SEPA debit (or the payment) failed: the invoice was never
        marked paid for it, it stays due; the designers are told."""
        self._webo_lock()
        if self.state in ("paid", "refused", "failed"):
            return False
        self.write({"state": "failed", "method": method or self.method,
                    "payment_intent_id": intent_id or self.payment_intent_id})
        invoice = self.invoice_id.sudo()
        designers = invoice.company_id._webo_designers()
        for local, partners in designers._webo_by_language(invoice):
            subject, body = self.with_context(lang=local.env.lang)._webo_failure_text(reason)
            local.message_post(subject=subject, body=body, message_type="notification",
                               subtype="mail.mt_note", partner_ids=partners.ids, **invoice._webo_author())
        if self.mandate_id:
            self.mandate_id._webo_charge_failed(self, reason)
        return True

    def _webo_failure_text(self, reason):
        """(subject, body) of the designers' alert, in the context's language."""
        number = self.invoice_id.number
        method = dict(self._fields["method"]._description_selection(self.env)).get(self.method)
        return (_("Payment failed: %(number)s") % {"number": number},
                _("The %(method)s of %(amount)s for invoice %(number)s failed (%(reason)s): the "
                  "invoice is still due and its reminders go on.") % {
                    "method": method or _("payment"), "amount": self._webo_money(self.amount),
                    "number": number, "reason": reason or _("refused")})

    def _webo_money(self, amount):
        return formatLang(self.env, amount, currency_obj=self.currency_id)

    def _webo_method_label(self):
        self.ensure_one()
        return dict(self._fields["method"]._description_selection(self.env)).get(self.method) or _("Card")
