from odoo import SUPERUSER_ID, api, fields, models
from odoo.osv import expression

DELIVERY_STATES = [
    ("pending", "Email pending"),
    ("sent", "Email sent"),
    ("failed", "Email failed"),
]


class MailMessage(models.Model):
    """Where the email of a message stands, kept on the message because its
    outgoing mail is deleted once sent (``auto_delete``): the invoice, its
    reminders and receipts show it, and it says whether the designer must
    act."""

    _inherit = "mail.message"

    webo_delivery_state = fields.Selection(
        DELIVERY_STATES, string="Email Delivery", readonly=True, copy=False,
        help="Pending: queued, or refused for now by the mail server and tried again. "
             "Sent: the mail server accepted it. Failed: refused for good, or not "
             "accepted within the retry period.")
    webo_delivery_error = fields.Char(
        string="Email Delivery Problem", readonly=True, copy=False,
        help="Why the mail server did not accept the email (last attempt).")

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
