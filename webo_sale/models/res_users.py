from odoo import api, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def create(self, vals):
        user = super().create(vals)
        # Odoo 11 makes every new partner a customer; a workspace's own
        # users would then be listed among its client accounts.
        if not user.share and "customer" not in vals:
            user.partner_id.customer = False
        return user
