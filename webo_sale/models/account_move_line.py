from odoo import api, models
from odoo.tools import float_compare


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
        due_before = {invoice: invoice.residual for invoice in invoices}
        result = super().reconcile(writeoff_acc_id=writeoff_acc_id,
                                   writeoff_journal_id=writeoff_journal_id)
        payments = self.mapped("payment_id")
        for invoice, before in due_before.items():
            invoice.invalidate_cache(["residual", "state"], invoice.ids)
            received = invoice.currency_id.round(before - invoice.residual)
            if float_compare(received, 0.0, precision_rounding=invoice.currency_id.rounding) > 0:
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
