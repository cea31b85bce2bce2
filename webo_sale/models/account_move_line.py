from odoo import api, models
from odoo.tools import float_compare


class PaidLater:
    """The payments a batch of bank statement lines follows up once its
    books are written: (invoice, amount received, payments), in order.
    Passed in the context (key ``webo_paid_later``), where Odoo compares
    contexts: two batches' are never equal."""

    def __init__(self):
        self.items = []


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["webo.issued.guard", "account.move.line"]
    _webo_parent_field = "move_id"

    @api.multi
    def reconcile(self, writeoff_acc_id=False, writeoff_journal_id=False):
        """Every way a client payment meets its invoice ends here: an online
        transaction, a payment the designer registers, a bank statement
        line matched with the invoice. What the reconciliation took off an
        invoice's amount due is the payment it received."""
        invoices = self._webo_invoices_paid_here()
        later = self.env.context.get("webo_paid_later")
        due_before = invoices._webo_amounts_due(fresh=later is not None)
        result = super().reconcile(writeoff_acc_id=writeoff_acc_id,
                                   writeoff_journal_id=writeoff_journal_id)
        payments = self.mapped("payment_id")
        invoices.invalidate_cache(["residual", "state"], invoices.ids)
        due_after = invoices._webo_amounts_due(fresh=later is not None)
        for invoice, before in due_before.items():
            received = invoice.currency_id.round(before - due_after[invoice])
            if float_compare(received, 0.0, precision_rounding=invoice.currency_id.rounding) > 0:
                # A batch of bank statement lines follows up its payments
                # once its books are written
                # (account.bank.statement.line._webo_match_in_batch).
                if later is not None:
                    later.items.append((invoice, received, payments))
                else:
                    invoice._webo_payment_received(received, payments)
        return result

    def _webo_issued_invoices(self):
        return self.mapped("move_id")._webo_issued_invoices()

    def _webo_invoices_paid_here(self):
        """The workspace invoices this reconciliation pays: their receivable
        lines are met by a payment's (a credit note does not pay)."""
        if not self.filtered(lambda line: line.payment_id and not line.invoice_id):
            return self.env["account.invoice"]
        return self.mapped("invoice_id").filtered(
            lambda invoice: invoice.type == "out_invoice" and invoice.company_id.webo_workspace)
