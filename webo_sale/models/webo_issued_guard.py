"""An issued invoice cannot change (French invoicing law): once an invoice
or a credit note has its number, what was issued stays as it was sent,
whoever writes (designer, platform operator, administrator, code running
as superuser) and however (interface, XML-RPC, Python). Only a credit note
balances it.

One guard, mixed into the invoice, its lines, its taxes and its journal
entry (with its items): a write of any field outside
``ALTERABLE_AFTER_ISSUE``, a new or deleted line, is refused with a French
message naming the credit note as the way. PostgreSQL itself is not
guarded: the integrity check (``webo.integrity.check.webo_check_integrity``)
finds what a direct SQL update changed in a journal entry.
"""
from odoo import _, api, models
from odoo.exceptions import UserError

# What may still change once an invoice or credit note has its number,
# per model; everything else is what was issued. Stored computed fields
# (residual, reconciled, amounts...) are not written through ``write``:
# Odoo recomputes them itself, so they are not listed and a plain write
# of one is refused. A module adding a field of that kind (a delivery
# state of the email, say) adds it here, or extends
# ``_webo_alterable_fields``.
ALTERABLE_AFTER_ISSUE = {
    "account.invoice": frozenset({
        # Open <-> paid, as its reconciliation with payments and credit
        # notes goes (see _webo_check_state_change); never draft or cancel.
        "state",
        # Sent by email (and sent again): set once the mail server accepted
        # the email, with the true state of its delivery and its error.
        "sent",
        "webo_email_state",
        "webo_email_error",
        # "Suspendre les relances".
        "webo_reminder_paused",
        # The credit note that cancelled it (see _check_webo_credit_note_id).
        "webo_credit_note_id",
        # The last online payment transaction (account_payment's portal).
        "payment_tx_id",
        # "Consultée": when the client first opened its payment page.
        "webo_viewed_date",
    }),
    "account.invoice.line": frozenset(),
    "account.invoice.tax": frozenset(),
    "account.move": frozenset(),
    "account.move.line": frozenset({
        # Its reconciliation with payments and credit notes.
        "full_reconcile_id",
        # The follow-up notes of a receivable line (litigation, expected
        # payment date, internal note): not part of the issued entry.
        "blocked",
        "expected_pay_date",
        "internal_note",
    }),
}

# The chatter and its activities (followers, messages, notes...): what is
# said about an invoice, not the invoice.
MAIL_MIXINS = ("mail.thread", "mail.activity.mixin")


class WeboIssuedGuard(models.AbstractModel):
    _name = "webo.issued.guard"
    _description = "Inalterability of issued invoices"

    # The field of a line (or an entry's item) that names its invoice (or entry).
    _webo_parent_field = None

    @api.model
    def create(self, vals):
        parent = self._webo_parent_field and vals.get(self._webo_parent_field)
        if parent:
            parent_model = self._fields[self._webo_parent_field].comodel_name
            invoices = self.env[parent_model].browse(parent)._webo_issued_invoices()
            if invoices:
                self._webo_refuse_change(
                    invoices, _("%(model)s: addition") % {"model": self._webo_model_label()})
        return super().create(vals)

    @api.multi
    def write(self, vals):
        self._webo_check_write(vals)
        return super().write(vals)

    @api.multi
    def unlink(self):
        invoices = self._webo_issued_invoices()
        if invoices:
            self._webo_refuse_change(invoices, _("%(model)s: deletion") % {"model": self._webo_model_label()})
        return super().unlink()

    def _webo_check_write(self, vals):
        """Refuse a write of what was issued."""
        protected = set(vals) - self._webo_alterable_fields()
        if protected:
            invoices = self._webo_issued_invoices()
            if invoices:
                self._webo_refuse_change(invoices, self._webo_field_labels(protected))

    def _webo_alterable_fields(self):
        """The fields of this model that may change after its invoice is issued."""
        fields = set(ALTERABLE_AFTER_ISSUE[self._name])
        for mixin in MAIL_MIXINS:
            fields |= {name for name in self.env[mixin]._fields if name in self._fields}
        return fields - set(models.MAGIC_COLUMNS) - {"display_name"}

    def _webo_issued_invoices(self):
        """The issued customer invoices and credit notes these records
        belong to (empty when none is issued). Each guarded model says."""
        raise NotImplementedError

    def _webo_model_label(self):
        return self.env["webo.api"]._model_label(self._name)

    def _webo_field_labels(self, names):
        """"Unit Price, Quantity" in the user's language, after the line's
        (or the entry's) model."""
        checks = self.env["webo.api"]
        labels = ", ".join(sorted(checks._field_label(self._fields[name]) if name in self._fields else name
                                  for name in names))
        if self._name == "account.invoice":
            return labels
        return "%s: %s" % (self._webo_model_label(), labels)

    def _webo_refuse_change(self, invoices, what):
        invoice = invoices[:1]
        raise UserError(_(
            "%(document)s %(number)s has been issued and cannot change (%(what)s). French "
            "invoicing law keeps an issued invoice as it was sent: cancel it with a credit note "
            "(Actions > Cancel the invoice), then issue a new invoice."
        ) % {"document": _("Credit note") if invoice.type == "out_refund" else _("Invoice"),
             "number": invoice.move_name, "what": what})
