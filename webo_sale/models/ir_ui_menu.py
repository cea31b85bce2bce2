from odoo import api, models, tools

# Apps of Odoo a designer does not use: webo's Gestion commerciale does
# their work (Invoicing's "Create" would bypass the invoice wizard, its
# email and the payment link; its states contradict webo's). Only their
# menus go: what the modules provide underneath (invoices, the inbox of the
# messaging menu, notifications) keeps working.
DESIGNER_HIDDEN_APPS = (
    "mail.mail_channel_menu_root_chat",
    "account.menu_finance",
)


class IrUiMenu(models.Model):
    _inherit = "ir.ui.menu"

    @api.model
    @tools.ormcache("frozenset(self.env.user.groups_id.ids)", "debug")
    def _visible_menu_ids(self, debug=False):
        visible = super()._visible_menu_ids(debug=debug)
        user = self.env.user
        if user.has_group("webo_sale.group_designer") and \
                not user.has_group("webo_sale.group_platform_operator"):
            apps = self.browse([self.env.ref(xmlid).id for xmlid in DESIGNER_HIDDEN_APPS
                                if self.env.ref(xmlid, raise_if_not_found=False)])
            hidden = self.with_context(**{"ir.ui.menu.full_list": True}).search(
                [("id", "child_of", apps.ids)])
            visible = visible - set(hidden.ids)
        return visible
