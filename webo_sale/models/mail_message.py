from odoo import fields, models

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
