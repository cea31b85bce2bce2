from odoo import models


class AccountInvoiceLine(models.Model):
    _name = "account.invoice.line"
    _inherit = ["webo.issued.guard", "account.invoice.line"]
    _webo_parent_field = "invoice_id"

    def _webo_issued_invoices(self):
        return self.mapped("invoice_id")._webo_issued_invoices()

    def _webo_subscription_line_values(self):
        return {
            "sequence": self.sequence,
            "name": self.name,
            "quantity": self.quantity,
            "price_unit": self.price_unit,
            "tax_ids": [(6, 0, self.invoice_line_tax_ids.ids)],
        }
