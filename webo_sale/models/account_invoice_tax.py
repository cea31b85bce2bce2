from odoo import models


class AccountInvoiceTax(models.Model):
    _name = "account.invoice.tax"
    _inherit = ["webo.issued.guard", "account.invoice.tax"]
    _webo_parent_field = "invoice_id"

    def _webo_issued_invoices(self):
        return self.mapped("invoice_id")._webo_issued_invoices()
