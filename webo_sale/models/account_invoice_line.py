from odoo import models


class AccountInvoiceLine(models.Model):
    _inherit = "account.invoice.line"

    def _webo_subscription_line_values(self):
        return {
            "sequence": self.sequence,
            "name": self.name,
            "quantity": self.quantity,
            "price_unit": self.price_unit,
            "tax_ids": [(6, 0, self.invoice_line_tax_ids.ids)],
        }
