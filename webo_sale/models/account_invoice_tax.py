from odoo import _, api, models


class AccountInvoiceTax(models.Model):
    _name = "account.invoice.tax"
    _inherit = ["webo.issued.guard", "account.invoice.tax"]
    _webo_parent_field = "invoice_id"

    @api.constrains("tax_id", "invoice_id")
    def _check_webo_franchise_vat(self):
        """A VAT line typed by hand on an invoice is VAT all the same."""
        for tax_line in self.filtered(lambda t: t.invoice_id.type in ("out_invoice", "out_refund")):
            tax_line.invoice_id.company_id._webo_check_no_vat(
                tax_line.tax_id, _("the VAT line \"%s\"") % tax_line.name)

    def _webo_issued_invoices(self):
        return self.mapped("invoice_id")._webo_issued_invoices()
