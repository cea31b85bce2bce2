from odoo import SUPERUSER_ID, api, models
from odoo.osv import expression


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model
    def _search(self, args, offset=0, limit=None, order=None, count=False, access_rights_uid=None):
        # Odoo 11 prepends two '&' to a portal user's domain, which an empty
        # domain turns into an invalid one (and a traceback to the caller).
        return super()._search(args or [expression.TRUE_LEAF], offset=offset, limit=limit, order=order,
                               count=count, access_rights_uid=access_rights_uid)

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Only the messages the user may read: Odoo 11 filters them in
        ``_search``, which ``read_group`` does not call, so that any user
        could count and group every workspace's messages."""
        return super().read_group(_readable_only(self, domain), fields, groupby, offset=offset,
                                  limit=limit, orderby=orderby, lazy=lazy)


def _readable_only(records, domain):
    """``domain`` restricted to the ids that ``_search`` lets the user see."""
    if records.env.uid == SUPERUSER_ID:
        return domain
    return expression.AND([domain or [], [("id", "in", records._search(list(domain or [])))]])
