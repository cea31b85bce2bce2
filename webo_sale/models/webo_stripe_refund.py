import logging

import stripe

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round
from odoo.tools.misc import formatLang

from .webo_stripe_checkout import minor_units

_logger = logging.getLogger(__name__)


class WeboStripeRefund(models.Model):
    """The client refunded through Stripe, for a credit note, of (part of)
    a card or SEPA debit payment: a Refund of the payment intent on the
    workspace's connected account, recorded in the books as an outbound
    payment reconciled with the credit note."""

    _name = "webo.stripe.refund"
    _description = "Refund of a Card or SEPA Debit Payment"
    _order = "id desc"

    refund_id = fields.Char(string="Stripe Refund", required=True, readonly=True, index=True)
    checkout_id = fields.Many2one("webo.stripe.checkout", required=True, readonly=True,
                                  ondelete="restrict", index=True)
    credit_note_id = fields.Many2one(
        "account.invoice", readonly=True, ondelete="restrict", index=True,
        help="The credit note the refund pays; empty for a refund made in Stripe's dashboard "
             "of an invoice without a credit note owing it.")
    company_id = fields.Many2one(related="checkout_id.company_id", store=True, readonly=True)
    outside = fields.Boolean(
        string="Made in Stripe", readonly=True,
        help="Made in Stripe's dashboard, not from webo: booked when Stripe told of it.")
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount = fields.Monetary(required=True, readonly=True)
    state = fields.Selection(
        [("pending", "Pending"), ("succeeded", "Refunded"), ("failed", "Failed")],
        required=True, default="pending", readonly=True,
        help="A failed refund's payment is cancelled: the credit note is due to the client again.")
    failure_reason = fields.Char(readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True, copy=False)

    _sql_constraints = [
        ("refund_unique", "unique(refund_id)", "A Stripe refund is recorded once."),
    ]

    # Business methods

    @api.model
    def _webo_refundable(self, credit_note):
        """{checkout: amount} that a refund for ``credit_note`` may still
        give back through Stripe, oldest payment first: at most what the
        credit note still owes the client, and per payment what Stripe
        collected minus its refunds that did not fail."""
        credit_note = credit_note.sudo()
        invoice = credit_note.refund_invoice_id
        currency = credit_note.currency_id
        if (credit_note.type != "out_refund" or credit_note.state != "open" or not invoice
                or invoice.webo_credit_note_id != credit_note):
            return {}
        left = credit_note.residual
        result = {}
        checkouts = self.env["webo.stripe.checkout"].sudo().search(
            [("invoice_id", "=", invoice.id), ("state", "=", "paid"),
             ("payment_id.state", "in", ("posted", "sent", "reconciled"))], order="id")
        for checkout in checkouts:
            refunded = sum(self.sudo().search([("checkout_id", "=", checkout.id),
                                               ("state", "!=", "failed")]).mapped("amount"))
            amount = currency.round(min(checkout.amount - refunded, left))
            if float_compare(amount, 0.0, precision_rounding=currency.rounding) > 0:
                result[checkout] = amount
                left = currency.round(left - amount)
        return result

    @api.model
    def _webo_refund(self, credit_note, amount=None):
        """Refund the client of ``credit_note`` through Stripe: ``amount``
        (default: all that may be refunded). Returns the refunds made."""
        currency = credit_note.currency_id
        refundable = self._webo_refundable(credit_note)
        total = currency.round(sum(refundable.values()))
        if not refundable:
            raise UserError(_(
                "Nothing of %(number)s can be refunded through Stripe: its invoice was not paid by "
                "card or SEPA debit, or that payment is already refunded. Refund the client by "
                "bank transfer and record it as a payment."
            ) % {"number": credit_note.number or credit_note.name})
        if amount is not None and amount is not False:
            if not isinstance(amount, (int, float)) or isinstance(amount, bool) or float_compare(
                    amount, 0.0, precision_rounding=currency.rounding) <= 0:
                raise UserError(_("Enter the amount to refund, a positive number (e.g. 120.50)."))
            if float_compare(amount, total, precision_rounding=currency.rounding) > 0:
                raise UserError(_(
                    "At most %(total)s of %(number)s can be refunded through Stripe (what the "
                    "client paid by card or SEPA debit, less earlier refunds): enter at most "
                    "that amount."
                ) % {"total": formatLang(self.env, total, currency_obj=currency),
                     "number": credit_note.number})
            total = float_round(amount, precision_rounding=currency.rounding)
        refunds = self.sudo().browse()
        for checkout, available in refundable.items():
            part = currency.round(min(available, total))
            if float_compare(part, 0.0, precision_rounding=currency.rounding) <= 0:
                break
            refunds |= self._webo_refund_one(credit_note, checkout, part)
            total = currency.round(total - part)
        return refunds

    @api.model
    def _webo_refund_one(self, credit_note, checkout, amount):
        platform = self.env["webo.stripe.platform"]
        currency = credit_note.currency_id
        earlier = self.sudo().search_count([("checkout_id", "=", checkout.id)])
        params = {"payment_intent": checkout.payment_intent_id,
                  "amount": minor_units(amount, currency),
                  "metadata": {"webo_checkout": checkout.reference,
                               "webo_credit_note": credit_note.number}}
        try:
            # The same key for the same refund: a request repeated after a
            # lost answer gets the refund Stripe already made.
            answer = platform._webo_client().v1.refunds.create(params, {
                "stripe_account": checkout.stripe_account_id,
                "idempotency_key": "webo-refund-%s-%d" % (checkout.reference, earlier + 1)})
        except stripe.APIConnectionError as error:
            raise platform._webo_unreachable(error) from None
        except stripe.StripeError as error:
            _logger.warning("Stripe refused the refund of %s: %s", credit_note.number, error)
            raise UserError(_("Stripe refused the refund: %(message)s") % {
                "message": error.user_message or str(error)}) from None
        if answer.status == "failed":
            raise UserError(_("Stripe refused the refund: %(message)s") % {
                "message": answer.get("failure_reason") or _("failed")})
        refund = self.sudo().create({
            "refund_id": answer.id, "checkout_id": checkout.id, "credit_note_id": credit_note.id,
            "currency_id": currency.id, "amount": amount,
            "state": "succeeded" if answer.status == "succeeded" else "pending",
        })
        refund.payment_id = refund._webo_record_payment()
        refund._webo_notify_client()
        credit_note.sudo().message_post(body=_(
            "%(amount)s refunded to the client through Stripe (%(refund)s).") % {
                "amount": formatLang(self.env, amount, currency_obj=currency), "refund": answer.id},
            **credit_note.sudo()._webo_author())
        return refund

    @api.model
    def _webo_book_outside(self, checkout, refund):
        """A refund made in Stripe's dashboard of ``checkout``'s payment
        (``refund``: Stripe's object), booked once like webo's own: paid
        from the payment-receiving journal to the invoice's credit note when
        that still owes the client as much; otherwise as a payment to the
        client that nothing balances yet, and the designers are asked to
        cancel the invoice with a credit note (or to recover the money)."""
        currency = checkout.currency_id
        amount = currency.round(refund["amount"] / 10 ** currency.decimal_places)
        invoice = checkout.invoice_id.sudo()
        credit_note = invoice.webo_credit_note_id
        if credit_note.state != "open" or float_compare(
                amount, credit_note.residual, precision_rounding=currency.rounding) > 0:
            credit_note = self.env["account.invoice"]
        record = self.sudo().create({
            "refund_id": refund["id"], "checkout_id": checkout.id, "credit_note_id": credit_note.id,
            "currency_id": currency.id, "amount": amount, "outside": True,
            "state": "succeeded" if refund.get("status") == "succeeded" else "pending",
        })
        if credit_note:
            record.payment_id = record._webo_record_payment()
        else:
            record.payment_id = record._webo_record_unmatched_payment()
        record._webo_alert_outside()
        return record

    def _webo_record_unmatched_payment(self):
        """The money given back to the client outside any credit note: an
        outbound customer payment in the payment-receiving journal, left
        open on the client's account until a credit note balances it."""
        self.ensure_one()
        invoice = self.checkout_id.invoice_id.sudo()
        journal = invoice._webo_payment_journal()
        payment = self.env["account.payment"].sudo().with_context(
            force_company=invoice.company_id.id, company_id=invoice.company_id.id).create({
                "payment_type": "outbound", "partner_type": "customer",
                "partner_id": invoice.commercial_partner_id.id, "amount": self.amount,
                "currency_id": self.currency_id.id, "journal_id": journal.id,
                "payment_method_id": journal.outbound_payment_method_ids[:1].id,
                "payment_date": fields.Date.context_today(self),
                "communication": "%s %s" % (invoice.number, self.refund_id),
            })
        payment.post()
        return payment

    def _webo_alert_outside(self):
        """The designers' alert of a refund made in Stripe's dashboard, on
        the invoice."""
        invoice = self.checkout_id.invoice_id.sudo()
        designers = invoice.company_id._webo_designers()
        for local, partners in designers._webo_by_language(invoice):
            subject, body = self.with_context(lang=local.env.lang)._webo_outside_text()
            local.message_post(subject=subject, body=body, message_type="notification",
                               subtype="mail.mt_note", partner_ids=partners.ids, **invoice._webo_author())

    def _webo_outside_text(self):
        invoice = self.checkout_id.invoice_id
        values = {"amount": formatLang(self.env, self.amount, currency_obj=self.currency_id),
                  "number": invoice.number, "refund": self.refund_id,
                  "credit_note": self.credit_note_id.number}
        subject = _("Refund made in Stripe: %(number)s") % values
        if self.credit_note_id:
            return subject, _(
                "%(amount)s of the payment of %(number)s was refunded to the client in Stripe's "
                "dashboard (%(refund)s): it is booked as the refund of the credit note "
                "%(credit_note)s.") % values
        return subject, _(
            "%(amount)s of the payment of %(number)s was refunded to the client in Stripe's "
            "dashboard (%(refund)s), and no credit note of the invoice owes the client that amount: "
            "it is booked as a payment to the client, still to be balanced. If the sale is "
            "cancelled, cancel the invoice with a credit note (Cancel the invoice) and match the "
            "two; otherwise ask the client for the money back.") % values

    def _webo_record_payment(self):
        """The money going back to the client, in the payment-receiving
        journal, reconciled with the credit note (which is then paid)."""
        self.ensure_one()
        credit_note = self.credit_note_id.sudo()
        return credit_note._webo_post_payment(
            self.amount, credit_note.refund_invoice_id._webo_payment_journal(),
            communication="%s %s" % (credit_note.number, self.refund_id), currency_id=self.currency_id.id)

    def _webo_notify_client(self):
        """The client's email: what is refunded, to which card or account;
        in the credit note's chatter, where the designers see it."""
        self.ensure_one()
        credit_note = self.credit_note_id.sudo()
        client = credit_note.webo_billing_partner_id
        if not client.email:
            return
        template = self.env.ref("webo_sale.mail_template_refund_notice")
        checkout = self.checkout_id.with_context(lang=client.lang or credit_note.partner_id.lang)
        credit_note.with_context(webo_amount_refunded=self.amount,
                                 webo_payment_method=checkout._webo_method_label())._webo_post_template(
            template, client, "webo_sale.mt_refund_notice")

    def _webo_lock(self):
        self.env.cr.execute("SELECT state FROM webo_stripe_refund WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_cache(["state"], self.ids)

    def _webo_succeeded(self):
        self._webo_lock()
        if self.state == "pending":
            self.state = "succeeded"

    def _webo_failed(self, reason):
        """Stripe could not refund: the outbound payment is cancelled (a
        reversal entry: the credit note is due to the client again) and the
        designers are told."""
        self._webo_lock()
        if self.state == "failed":
            return False
        self.write({"state": "failed", "failure_reason": reason or False})
        self.payment_id.sudo().cancel()
        # Told where the refund was booked: the credit note, else the invoice.
        record = self.credit_note_id.sudo() or self.checkout_id.invoice_id.sudo()
        designers = record.company_id._webo_designers()
        for local, partners in designers._webo_by_language(record):
            subject, body = self.with_context(lang=local.env.lang)._webo_failure_text()
            local.message_post(subject=subject, body=body, message_type="notification",
                               subtype="mail.mt_note", partner_ids=partners.ids,
                               **record._webo_author())
        return True

    def _webo_failure_text(self):
        number = self.credit_note_id.number
        if not self.credit_note_id:
            number = self.checkout_id.invoice_id.number
            return (_("Refund failed: %(number)s") % {"number": number},
                    _("The refund of %(amount)s made in Stripe for the invoice %(number)s failed "
                      "(%(reason)s): its payment to the client is cancelled.") % {
                        "amount": formatLang(self.env, self.amount, currency_obj=self.currency_id),
                        "number": number, "reason": self.failure_reason or _("refused")})
        return (_("Refund failed: %(number)s") % {"number": number},
                _("The refund of %(amount)s through Stripe for the credit note %(number)s failed "
                  "(%(reason)s): its payment is cancelled and the client is still owed the amount. "
                  "Refund them again or by bank transfer.") % {
                    "amount": formatLang(self.env, self.amount, currency_obj=self.currency_id),
                    "number": number, "reason": self.failure_reason or _("refused")})
