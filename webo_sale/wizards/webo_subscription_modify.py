from odoo import _, api, fields, models
from odoo.exceptions import UserError


class WeboSubscriptionModify(models.TransientModel):
    _name = "webo.subscription.modify"
    _description = "Modify a subscription"

    subscription_id = fields.Many2one("webo.subscription", required=True,
                                      readonly=True, help="The subscription to modify.")
    currency_id = fields.Many2one(related="subscription_id.currency_id", readonly=True,
                                  help="The workspace's currency.")
    next_invoice_date = fields.Date(related="subscription_id.next_invoice_date", readonly=True,
                                    string="Next Invoice",
                                    help="The first invoice the change applies to.")
    name = fields.Char(string="Label", required=True,
                       help="The label of the next invoices.")
    billing_day = fields.Integer(required=True,
                                 help="Day of the month the next invoices are issued (1-31).")
    line_ids = fields.One2many("webo.subscription.modify.line", "wizard_id", string="Lines",
                               help="What the next invoices bill.")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        subscription = self.env["webo.subscription"].browse(
            values.get("subscription_id") or self.env.context.get("default_subscription_id"))
        if subscription:
            values.update({
                "name": subscription.name,
                "billing_day": subscription.billing_day,
                "line_ids": [(0, 0, line._copy_values()) for line in subscription.line_ids],
            })
        return values

    @api.multi
    def action_apply(self):
        """"Enregistrer": the next periods follow the new terms."""
        self.ensure_one()
        if not self.line_ids:
            raise UserError(_("A subscription needs at least one line."))
        self.subscription_id.webo_modify({
            "name": self.name,
            "billing_day": self.billing_day,
            "line_ids": [(0, 0, line._copy_values()) for line in self.line_ids],
        })
        return {"type": "ir.actions.act_window_close"}


class WeboSubscriptionModifyLine(models.TransientModel):
    _name = "webo.subscription.modify.line"
    _inherit = "webo.billing.line"
    _description = "Modified subscription line"

    wizard_id = fields.Many2one("webo.subscription.modify", required=True, ondelete="cascade",
                                help="The modification this line belongs to.")
    quantity = fields.Float(help="Quantity billed each month.")
    currency_id = fields.Many2one(related="wizard_id.currency_id", readonly=True,
                                  help="The workspace's currency.")

