from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WeboSubscriptionLine(models.Model):
    _name = "webo.subscription.line"
    _inherit = "webo.billing.line"
    _description = "Subscription line"
    _order = "sequence, id"

    subscription_id = fields.Many2one(
        "webo.subscription", required=True, ondelete="cascade", index=True,
        help="The subscription this line bills each month.")
    quantity = fields.Float(help="Quantity billed each month.")
    company_id = fields.Many2one(related="subscription_id.company_id", store=True, readonly=True,
                                 string="Workspace", help="The subscription's workspace.")
    currency_id = fields.Many2one(related="subscription_id.currency_id", readonly=True,
                                  help="The workspace's currency.")
    # Stored: the subscription's amounts add them up.
    price_subtotal = fields.Monetary(store=True)
    price_total = fields.Monetary(store=True)

    @api.model
    def create(self, values):
        line = super().create(values)
        line._check_tax_company()
        return line

    @api.multi
    def write(self, values):
        result = super().write(values)
        if {"tax_ids", "subscription_id"} & set(values):
            self._check_tax_company()
        return result

    def _check_tax_company(self):
        """Only the VAT rates of the subscription's workspace (a UserError,
        see webo.subscription._check_user_company)."""
        for line in self:
            company = line.sudo().subscription_id.company_id
            if any(tax.company_id != company for tax in line.sudo().tax_ids):
                raise UserError(_(
                    "A VAT rate of another workspace was given on the line %(line)s: a "
                    "subscription's lines take the VAT rates of their own workspace."
                ) % {"line": line.name})

    def _webo_line_company(self):
        return self.subscription_id.company_id
