from odoo import api, models

from .mail_message import _readable_only


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.model
    def read_group(self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True):
        """Only the attachments the user may read: Odoo 11 filters them in
        ``_search`` (by the record each is attached to), which
        ``read_group`` does not call."""
        return super().read_group(_readable_only(self, domain), fields, groupby, offset=offset,
                                  limit=limit, orderby=orderby, lazy=lazy)
