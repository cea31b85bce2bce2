from odoo import _, api, models

from .webo_billing_line import line_values


class AccountInvoiceLine(models.Model):
    _name = "account.invoice.line"
    _inherit = ["webo.issued.guard", "account.invoice.line"]
    _webo_parent_field = "invoice_id"

    def _webo_issued_invoices(self):
        return self.mapped("invoice_id")._webo_issued_invoices()

    @api.constrains("invoice_line_tax_ids", "invoice_id")
    def _check_webo_franchise_vat(self):
        for line in self.filtered(lambda line: line.invoice_id.type in ("out_invoice", "out_refund")):
            line.invoice_id.company_id._webo_check_no_vat(
                line.invoice_line_tax_ids, _("the invoice line \"%s\"") % line.name)

    def _webo_billing_line_values(self):
        """The line as a billing line takes it: a subscription started from
        the invoice, the invoice wizard taking up its draft."""
        return line_values(self, self.invoice_line_tax_ids)
