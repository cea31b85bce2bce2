from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang


class AccountPayment(models.Model):
    _inherit = "account.payment"

    webo_idempotency_key = fields.Char(
        string="Idempotency Key", readonly=True, copy=False,
        help="The key the caller of webo_register_payment gave: the same key again "
             "returns this payment instead of recording a second one.")

    webo_stripe_checkout_id = fields.Many2one(
        "webo.stripe.checkout", string="Card or SEPA Debit Payment", readonly=True, copy=False,
        help="The payment on Stripe's page this payment records (from Stripe's signed webhook).")

    # A key records one payment per workspace, whatever happens to the
    # caller's connection.
    _sql_constraints = [
        ("webo_idempotency_key_unique", "UNIQUE (company_id, webo_idempotency_key)",
         "This idempotency key has already recorded a payment."),
    ]

    @api.multi
    def post(self):
        self._webo_check_amount_due()
        self._webo_check_payment_date()
        return super().post()

    @api.multi
    def cancel(self):
        """Odoo cancels a payment by deleting its journal entry, which the
        French books refuse (l10n_fr_certification: posted entries are
        chained and kept). There a payment is cancelled by a reversal
        entry dated today: its invoices are due again, and both entries
        stay in the books."""
        unalterable = self.filtered(lambda payment: payment.company_id._is_accounting_unalterable())
        for payment in unalterable.filtered(lambda p: p.state != "cancelled"):
            moves = payment.move_line_ids.mapped("move_id")
            moves.mapped("line_ids").remove_move_reconcile()
            moves.reverse_moves(date=fields.Date.context_today(self))
            payment.state = "cancelled"
        return super(AccountPayment, self - unalterable).cancel()

    def _webo_check_amount_due(self):
        """A client payment of workspace invoices never exceeds what they
        still owe: an excess would sit unexplained in the books (the client
        pays the difference back or it is a typing error)."""
        for payment in self.filtered(lambda p: p.payment_type == "inbound" and p.invoice_ids):
            invoices = payment.invoice_ids.filtered(
                lambda i: i.type == "out_invoice" and i.company_id.webo_workspace)
            if not invoices:
                continue
            due = sum(invoices.mapped("residual"))
            currency = payment.currency_id
            if float_compare(payment.amount, due, precision_rounding=currency.rounding) > 0:
                raise UserError(_(
                    "The payment of %(amount)s is more than the %(due)s still due on %(numbers)s: "
                    "enter at most the amount due."
                ) % {"amount": formatLang(self.env, payment.amount, currency_obj=currency),
                     "due": formatLang(self.env, due, currency_obj=currency),
                     "numbers": ", ".join(invoices.mapped("number"))})

    def _webo_check_payment_date(self):
        """A client pays a workspace invoice between its date and today:
        a payment dated otherwise is a typing error (9999-12-31...)."""
        today = fields.Date.from_string(fields.Date.context_today(self))
        for payment in self.filtered(lambda p: p.payment_type == "inbound" and p.invoice_ids):
            invoices = payment.invoice_ids.filtered(
                lambda i: i.type == "out_invoice" and i.company_id.webo_workspace and i.date_invoice)
            if not invoices:
                continue
            earliest = max(fields.Date.from_string(day) for day in invoices.mapped("date_invoice"))
            day = fields.Date.from_string(payment.payment_date)
            if not earliest <= day <= today:
                self.env["webo.api"]._refuse_date(_("The payment date"), day, earliest, today, reason=_(
                    "A payment is dated between the date of the invoice it pays and today."))
