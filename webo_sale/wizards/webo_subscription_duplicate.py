from odoo import api, fields, models


class WeboSubscriptionDuplicate(models.TransientModel):
    _name = "webo.subscription.duplicate"
    _description = "Duplicate a subscription"

    subscription_id = fields.Many2one("webo.subscription", required=True,
                                      readonly=True, help="The subscription to duplicate.")
    state = fields.Selection(related="subscription_id.state", readonly=True, string="Status",
                             help="A stopped subscription is resumed by its duplicate.")
    date_start = fields.Date(
        string="First Invoice Date", required=True, default=fields.Date.context_today,
        help="The date of the new subscription's first invoice; its day of the month "
             "becomes the billing day.")
    name = fields.Char(
        string="Label", help="The new subscription's label: by default the original's and "
                             "when it starts, so that the two can be told apart.")

    @api.onchange("subscription_id", "date_start")
    def _onchange_date_start(self):
        if self.subscription_id and self.date_start:
            self.name = self.subscription_id._duplicate_name(self.date_start)

    @api.multi
    def action_duplicate(self):
        """"Dupliquer": the new subscription, opened."""
        self.ensure_one()
        new_id = self.subscription_id.webo_duplicate(self.date_start, name=self.name or None)
        return {
            "type": "ir.actions.act_window",
            "res_model": "webo.subscription",
            "res_id": new_id,
            "view_mode": "form",
            "target": "current",
        }
