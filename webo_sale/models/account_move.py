from odoo import api, models


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["webo.issued.guard", "account.move"]

    @api.model_cr
    def init(self):
        # l10n_fr_certification looks up the previous entry of the chain at
        # each posting (and the integrity check walks the chain): by index,
        # not by reading every entry of the database.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS account_move_webo_secure_sequence_index
                ON account_move (company_id, l10n_fr_secure_sequence_number)
        """)

    @api.multi
    def post(self):
        # In a batch of bank statement lines, where Odoo's recomputations
        # wait (account.bank.statement.line._webo_match_in_batch), the
        # inalterability chain looks the previous entry up by its company:
        # stored before posting.
        if self.env.context.get("webo_paid_later") is not None:
            self._webo_store_pending("company_id")
        return super().post()

    def _webo_store_pending(self, name):
        """Write now the value of the stored computed field ``name`` of
        these records if it waits for Odoo's recomputation."""
        field = self._fields[name]
        pending = self.env.check_todo(field, self)
        if not pending:
            return
        for record in pending & self:
            record._write({name: record._fields[name].convert_to_write(record[name], record)})
        (pending & self)._recompute_done(field)

    def _webo_issued_invoices(self):
        """The issued invoices whose journal entries these are (an entry
        is posted before its invoice gets its number: only posted ones
        can be an issued invoice's)."""
        posted = self.filtered(lambda move: move.state == "posted")
        if not posted:
            return self.env["account.invoice"]
        return self.env["account.invoice"].sudo().search([
            ("move_id", "in", posted.ids), ("type", "in", ("out_invoice", "out_refund")),
            ("move_name", "!=", False)])

