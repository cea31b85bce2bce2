import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

# What a level's subject and text may contain, filled in for each invoice.
PLACEHOLDER = re.compile(r"\{(\w*)\}")
PLACEHOLDERS = (
    "client", "invoice", "amount_due", "due_date", "days_late", "payment_link",
    "penalty", "penalty_rate", "indemnity", "workspace", "viewed", "viewed_date",
)


class WeboReminderLevel(models.Model):
    """One reminder (relance) a workspace sends a late invoice's client, so
    many days after the due date. Each workspace has its own levels, four
    by default (see ``res.company._webo_ensure_reminder_levels``)."""

    _name = "webo.reminder.level"
    _inherit = ["webo.api.checked"]
    _description = "Reminder Level"
    _order = "company_id, days, id"

    name = fields.Char(
        string="Level", required=True, translate=True,
        help="What this reminder is, e.g. \"Formal notice\".")
    company_id = fields.Many2one(
        "res.company", string="Workspace", required=True, index=True, readonly=True,
        default=lambda self: self.env.user.company_id,
        help="The workspace whose late invoices get this reminder.")
    days = fields.Integer(
        string="Days After Due Date", required=True, default=1,
        help="The reminder is sent once the invoice is this many days late.")
    subject = fields.Char(
        translate=True,
        help="Subject of the email. Placeholders such as {invoice} are replaced "
             "with the invoice's values (see the text).")
    body = fields.Text(
        string="Text", translate=True,
        help="Text of the email, in the client's language. Placeholders: {client}, "
             "{invoice} (number), {amount_due}, {due_date}, {days_late}, "
             "{payment_link} (the invoice's secure payment page), {penalty} (late-payment "
             "penalties due to date), {penalty_rate}, {indemnity} (the 40 EUR fixed "
             "recovery indemnity sentence, for business clients only; empty otherwise), "
             "{workspace}, {viewed} (\"You viewed this invoice on ...\" once the client has "
             "opened its payment page; empty otherwise), {viewed_date} (that date). A blank "
             "line starts a new paragraph.")
    active = fields.Boolean(
        default=True,
        help="An archived level is no longer sent; the reminders already sent stay logged.")

    @api.constrains("days", "subject", "body", "name", "company_id", "active")
    def _check_level(self):
        for level in self:
            level._check_texts()
            if level.days < 1:
                raise ValidationError(_(
                    "The reminder \"%(name)s\" must be sent at least one day after the due "
                    "date (%(days)s given): an invoice is late from the day after its due date."
                ) % {"name": level.name, "days": level.days})
            same_delay = self.search_count([
                ("company_id", "=", level.company_id.id), ("days", "=", level.days),
                ("id", "!=", level.id)])
            if level.active and same_delay:
                raise ValidationError(_(
                    "Another reminder of the workspace is already sent %(days)s days after "
                    "the due date: give \"%(name)s\" another delay."
                ) % {"days": level.days, "name": level.name})

    def _check_texts(self):
        if not (self.name or "").strip():
            raise ValidationError(_(
                "The reminder sent %(days)s days after the due date has no name: give it one."
            ) % {"days": self.days})
        if not (self.subject or "").strip():
            raise ValidationError(_("The subject of the reminder \"%(name)s\" is empty: write it.")
                                  % {"name": self.name})
        if not (self.body or "").strip():
            raise ValidationError(_("The text of the reminder \"%(name)s\" is empty: write it.")
                                  % {"name": self.name})
        used = set(PLACEHOLDER.findall(self.name + self.subject + self.body))
        unknown = sorted(used - set(PLACEHOLDERS))
        if unknown:
            raise ValidationError(_(
                "The reminder \"%(name)s\" uses unknown placeholders (%(unknown)s). "
                "Available: %(available)s."
            ) % {"name": self.name, "unknown": ", ".join("{%s}" % name for name in unknown),
                 "available": ", ".join("{%s}" % name for name in PLACEHOLDERS)})

    @api.multi
    def unlink(self):
        used = self.env["webo.invoice.reminder"].sudo().search_count([("level_id", "in", self.ids)])
        if used:
            raise UserError(_(
                "These reminders have already been sent to clients and stay in their "
                "invoices' history: archive them instead of deleting them."))
        return super().unlink()

    def _default_values(self):
        """The four default levels, in the language of the context (the
        source strings are English; fr.po holds the French)."""
        courteous = _(
            "Hello,\n\n"
            "Unless we are mistaken, invoice {invoice} of {amount_due}, due on {due_date}, "
            "has not been paid yet. It may simply have been overlooked.\n\n"
            "You can pay it in a few clicks on its secure page: {payment_link}\n\n"
            "If you have paid it in the meantime, please disregard this message.\n\n"
            "Kind regards,\n{workspace}")
        firm = _(
            "Hello,\n\n"
            "Despite our first reminder, invoice {invoice} of {amount_due}, due on "
            "{due_date}, is still unpaid {days_late} days after its due date. {viewed}\n\n"
            "Please pay it without delay on its secure page: {payment_link}\n\n"
            "Kind regards,\n{workspace}")
        formal = _(
            "Hello,\n\n"
            "Invoice {invoice}, due on {due_date}, is still unpaid despite our reminders: "
            "{amount_due} remains due, {days_late} days after its due date.\n\n"
            "We hereby give you formal notice to pay this amount within eight days. "
            "Late-payment penalties at the yearly rate of {penalty_rate} run from the day "
            "after the due date: {penalty} to date. {indemnity}\n\n"
            "Pay it on its secure page: {payment_link}\n\n"
            "Kind regards,\n{workspace}")
        last = _(
            "Hello,\n\n"
            "Invoice {invoice} of {amount_due}, due on {due_date}, is still unpaid "
            "{days_late} days after its due date, despite our formal notice. The late-payment "
            "penalties now amount to {penalty}. {indemnity}\n\n"
            "Without payment within eight days, we will start recovery proceedings "
            "without further notice.\n\n"
            "Pay it on its secure page: {payment_link}\n\n"
            "Kind regards,\n{workspace}")
        return [
            {"days": 1, "name": _("Courteous reminder"),
             "subject": _("Reminder: invoice {invoice} is due"), "body": courteous},
            {"days": 8, "name": _("Firm reminder"),
             "subject": _("Second reminder: invoice {invoice} is unpaid"), "body": firm},
            {"days": 15, "name": _("Formal notice"),
             "subject": _("Formal notice to pay invoice {invoice}"), "body": formal},
            {"days": 30, "name": _("Last notice"),
             "subject": _("Last notice before recovery: invoice {invoice}"), "body": last},
        ]
