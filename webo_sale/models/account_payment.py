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

    # A key records one payment per workspace, whatever happens to the
    # caller's connection.
    _sql_constraints = [
        ("webo_idempotency_key_unique", "UNIQUE (company_id, webo_idempotency_key)",
         "This idempotency key has already recorded a payment."),
    ]

    @api.multi
    def post(self):
        self._webo_check_amount_due()
        return super().post()

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
