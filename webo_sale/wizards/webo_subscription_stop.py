from odoo import api, fields, models


class WeboSubscriptionStop(models.TransientModel):
    """"Arrêter" asks first: a stopped subscription sends no further
    invoice (it can be resumed later, as a new subscription)."""

    _name = "webo.subscription.stop"
    _description = "Stop subscriptions"

    subscription_ids = fields.Many2many(
        "webo.subscription", string="Subscriptions", required=True, readonly=True,
        help="The subscriptions to stop.")

    @api.multi
    def action_stop(self):
        self.ensure_one()
        self.subscription_ids.webo_stop()
        return {"type": "ir.actions.client", "tag": "reload"}
