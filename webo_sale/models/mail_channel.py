from odoo import api, models


class MailChannel(models.Model):
    _inherit = "mail.channel"

    @api.multi
    def _webo_reserve_to(self, group_id):
        """These channels become the group's only: readable by its users,
        who alone are subscribed, and nobody else stays a member."""
        group = self.env["res.groups"].browse(group_id)
        self.write({"public": "groups", "group_public_id": group.id, "group_ids": [(6, 0, group.ids)]})
        members = group.users.mapped("partner_id")
        self.mapped("channel_last_seen_partner_ids").filtered(
            lambda member: member.partner_id not in members).unlink()
        return True
