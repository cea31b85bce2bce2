from odoo import api, models

from .webo_api import public_method


class WeboReminderPausable(models.AbstractModel):
    """Pausing and resuming reminders, on an invoice (that invoice) or on a
    client (every invoice of theirs): the buttons, the XML-RPC methods and
    the chatter note. The model defines ``webo_reminder_paused`` and says
    which records its pause applies to, after its checks
    (``_webo_reminder_pause_targets``), and the note they get
    (``_webo_reminder_pause_note``)."""

    _name = "webo.reminder.pausable"
    _description = "Reminders that can be paused"

    @api.multi
    def action_webo_pause_reminders(self):
        self.webo_pause_reminders()

    @api.multi
    def action_webo_resume_reminders(self):
        self.webo_resume_reminders()

    @api.multi
    @public_method
    def webo_pause_reminders(self):
        """No more reminders for these issued invoices, or for any invoice of
        these clients, until resumed."""
        self._webo_set_reminders_paused(True)
        return True

    @api.multi
    @public_method
    def webo_resume_reminders(self):
        """Reminders again for these invoices, or these clients' invoices,
        from the next run on (the level then due, not the ones missed
        meanwhile)."""
        self._webo_set_reminders_paused(False)
        return True

    def _webo_set_reminders_paused(self, paused):
        companies = self.env["account.invoice"]._webo_reminder_scope()
        self.check_access_rights("write")
        targets = self._webo_reminder_pause_targets(companies)
        # Written as the user: their access rules apply.
        changed = self.browse(targets.ids).filtered(
            lambda record: record.webo_reminder_paused != paused)
        changed.write({"webo_reminder_paused": paused})
        for record in changed:
            record.message_post(body=record._webo_reminder_pause_note(paused))

    def _webo_reminder_pause_targets(self, companies):
        """The records (as superuser) whose ``webo_reminder_paused`` a pause
        of ``self`` sets, once checked that the user may: all of the
        workspace ``companies`` (None: any workspace)."""
        raise NotImplementedError()

    def _webo_reminder_pause_note(self, paused):
        """The chatter note of a pause (``paused``) or a resumption."""
        raise NotImplementedError()
