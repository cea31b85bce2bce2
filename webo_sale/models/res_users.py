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
        if not user.action_id:
            user.action_id = user._webo_home_action()
        return user

    @api.model
    def _webo_set_home_actions(self):
        """Give the designers and platform operators without a home action
        theirs (on install or upgrade: users made before webo knew it)."""
        groups = self.env.ref("webo_sale.group_designer") | self.env.ref("webo_sale.group_platform_operator")
        for user in self.search([("groups_id", "in", groups.ids), ("action_id", "=", False)]):
            user.action_id = user._webo_home_action()

    def _webo_by_language(self, record):
        """``record`` once in each language of these users, with the
        partners of those who read it: [(record in that language, partners)],
        for a note that each of them reads in their own (the mail queue
        sends it later). Without users, once in the context's language for
        no one: the note is still kept on the record."""
        languages = set(self.mapped("lang")) or {record.env.lang}
        return [(record.with_context(lang=lang, mail_notify_force_send=False),
                 self.filtered(lambda user, lang=lang: user.lang == lang).mapped("partner_id"))
                for lang in languages]

    def _webo_home_action(self):
        """Where the web client opens after login: a designer on the
        Synthèse of Gestion commerciale, the platform operator on the
        documents to review (Plateforme); others as Odoo does."""
        self.ensure_one()
        actions = self.env["ir.actions.actions"]
        if self.has_group("webo_sale.group_platform_operator"):
            return actions.browse(self.env.ref("webo_sale.webo_sale_document_action").id)
        if self.has_group("webo_sale.group_designer"):
            return actions.browse(self.env.ref("webo_sale.webo_sale_service_action_open").id)
        return actions

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
