from odoo import api, models
from odoo.exceptions import AccessDenied

from ..http_hardening import remote_address


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

    @api.model
    def check_credentials(self, password):
        # Every password check goes through here: the web login, XML-RPC's
        # authenticate and each XML-RPC call not yet cached (see
        # webo.login.failure for the limits).
        remote = remote_address()
        if not remote:
            return super().check_credentials(password)
        failures = self.env["webo.login.failure"].sudo()
        login = self.env.user.sudo().login
        if failures._webo_blocked(login, remote):
            raise AccessDenied()
        try:
            return super().check_credentials(password)
        except AccessDenied:
            failures._webo_record(login, remote)
            raise
