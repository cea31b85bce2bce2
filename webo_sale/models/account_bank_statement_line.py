"""The automatic matching of bank statement credit lines with the open
invoices they pay (the rules: ``tools/bank_matching.py`` and the README).

A sure match is reconciled at once, through Odoo's reconciliation of a
statement line (``process_reconciliation``): the invoice is paid as by any
other payment (the designers' alert, the client's receipt, the Synthèse,
reminders stopped, deferred purchases settled from the payment-receiving
account). An unsure one becomes a proposal (``webo.bank.match``) with its
reason. Only the statement's own workspace is searched: its open invoices,
its clients and the IBANs they paid from."""
from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_round

from ..tools.bank_matching import Invoice, Line, Workspace, iban_plain, number_key, references
from .account_move_line import PaidLater

# The invoices a batch pays at most: what Odoo reads in a batch before
# its recomputation (each journal item's residual, at every reading, for
# all the items waiting) grows with it.
BATCH_INVOICES = 10

MATCH_STATES = [
    ("reconciled", "Reconciled"),
    ("proposed", "To confirm"),
    ("unmatched", "Unmatched"),
    ("debit", "Debit"),
]


class AccountBankStatementLine(models.Model):
    _inherit = "account.bank.statement.line"

    webo_payer_iban = fields.Char(
        string="Payer's IBAN", readonly=True,
        help="The account the transfer came from, as the bank gave it.")
    webo_match_state = fields.Selection(
        MATCH_STATES, string="Matching", readonly=True, index=True,
        help="Reconciled with the invoices it pays, proposed for your confirmation, or "
             "unmatched (a debit is not a client payment).")
    webo_match_rule = fields.Selection(
        lambda self: self.env["webo.bank.match"]._webo_rule_labels(), string="Rule", readonly=True,
        help="The matching rule that decided (see the README).")
    webo_match_ids = fields.One2many("webo.bank.match", "statement_line_id", string="Matches",
                                     readonly=True)

    @api.multi
    def _webo_match(self):
        """Match these new lines (of one workspace's statements): credit
        lines against the workspace's open invoices, in date order; the
        sure ones reconciled, the others proposed or left with a reason."""
        # One summary alert per statement instead of one per payment (see
        # account.bank.statement._webo_alert_payments).
        lines = self.sudo().with_context(webo_summary_alert=True)
        for company in lines.mapped("company_id"):
            mine = lines.filtered(lambda line, company=company: line.company_id == company)
            mine.filtered(lambda line: line.amount <= 0).write({"webo_match_state": "debit"})
            incoming = mine.filtered(lambda line: line.amount > 0).sorted(lambda line: (line.date, line.id))
            currency_of = {line: line.journal_id.currency_id or company.currency_id for line in incoming}
            for currency in dict.fromkeys(currency_of.values()):
                incoming.filtered(
                    lambda line, currency=currency, of=currency_of: of[line] == currency
                )._webo_match_in_batch(company, currency)
        reconciled = lines.filtered(lambda line: line.webo_match_state == "reconciled")
        for statement in reconciled.mapped("statement_id"):
            statement._webo_alert_payments(reconciled.filtered(
                lambda line, statement=statement: line.statement_id == statement))

    def _webo_match_in_batch(self, company, currency):
        """Match these lines (of ``company``, in ``currency``, in date order)
        in batches. Each sure match is reconciled by Odoo as before, but
        the stored fields the reconciliations change (the journal items'
        residuals, the invoices' amount due and state, the entries' matched
        percentages) are recomputed and written once for a batch, not
        after every write of every line (which made up about a third of a
        line's time). Then, the books up to date, each invoice paid gets
        what follows a payment (the client's receipt, the deferred
        purchases settled), in the order of the lines. A line paying an
        invoice that a line of the batch paid starts a new batch (its
        receipt tells what the invoice owes after the earlier payment), and
        so does the line after BATCH_INVOICES invoices."""
        workspace = self._webo_workspace(company, currency, self)
        payers = set()
        paid = PaidLater()  # filled by account.move.line.reconcile
        in_batch = set()
        lines = self.with_context(webo_paid_later=paid)
        try:
            for line_id in lines.ids:
                # Each line on its own: Odoo's reconciliation reads fields
                # of the line it is given, which would otherwise read (and
                # recompute) them for every line of the statement, each
                # time; a cost growing with the statement's length.
                line = lines.browse(line_id)
                decision = workspace.decide(line._webo_as_match_line(currency))
                if decision.kind == "sure":
                    if in_batch & set(decision.invoices) or len(in_batch) >= BATCH_INVOICES:
                        self._webo_end_batch(paid)
                        in_batch = set()
                    in_batch |= set(decision.invoices)
                with self.env.norecompute():
                    line._webo_apply(workspace, decision, payers)
        except Exception:
            # What was left to recompute belongs to the transaction the
            # caller now rolls back.
            self.env.clear()
            raise
        self._webo_end_batch(paid)

    def _webo_end_batch(self, paid):
        """Write what the batch's reconciliations changed, then follow up
        its payments (``paid``: PaidLater)."""
        self.recompute()
        done, paid.items = paid.items, []
        for invoice, amount, payments in done:
            invoice.with_context(webo_paid_later=None)._webo_payment_received(amount, payments)

    def _webo_as_match_line(self, currency):
        text = " ".join(part for part in (self.name, self.ref, self.note) if part and part != "/")
        return Line(self.id, text, self._webo_cents(self.amount, currency), self.date,
                    self.partner_name or "", self.webo_payer_iban or "")

    @staticmethod
    def _webo_cents(amount, currency):
        return round(float_round(amount, precision_rounding=currency.rounding) * 100)

    @api.model
    def _webo_workspace(self, company, currency, lines):
        """The matcher's view of ``company``: its open invoices in
        ``currency`` (read by SQL: thousands of them), its clients and the
        IBANs they paid from, and the paid invoices the lines name."""
        cr = self.env.cr
        cr.execute("""
            SELECT id, number, commercial_partner_id, residual, date_invoice
              FROM account_invoice
             WHERE company_id = %s AND currency_id = %s AND type = 'out_invoice' AND state = 'open'
               AND webo_credit_note_id IS NULL AND residual > 0 AND number IS NOT NULL
        """, [company.id, currency.id])
        invoices = [Invoice(id_, number, number_key(number), client, self._webo_cents(residual, currency),
                            str(date_invoice))
                    for id_, number, client, residual, date_invoice in cr.fetchall()]
        cr.execute("""
            SELECT bank.sanitized_acc_number, partner.commercial_partner_id
              FROM res_partner_bank bank JOIN res_partner partner ON partner.id = bank.partner_id
             WHERE partner.company_id = %s AND partner.id != %s
        """, [company.id, company.partner_id.id])
        ibans = dict(cr.fetchall())
        cr.execute("""
            SELECT id, name FROM res_partner
             WHERE company_id = %s AND parent_id IS NULL AND customer AND active AND id != %s
        """, [company.id, company.partner_id.id])
        names = dict(cr.fetchall())
        prefixes = {invoice.key[0] for invoice in invoices if invoice.key}
        cr.execute("""
            SELECT DISTINCT split_part(number, '/', 1) FROM account_invoice
             WHERE company_id = %s AND type = 'out_invoice' AND number LIKE '%%/%%'
        """, [company.id])
        prefixes |= {prefix.upper() for (prefix,) in cr.fetchall() if prefix}
        closed = self._webo_closed_keys(company, prefixes, lines)
        return Workspace(invoices, ibans, names, prefixes, closed)

    @api.model
    def _webo_closed_keys(self, company, prefixes, lines):
        """Keys of the paid or cancelled invoices the lines name."""
        named = set()
        for line in lines:
            named |= references(" ".join(filter(None, (line.name, line.ref, line.note))), prefixes)[0]
        if not named:
            return set()
        self.env.cr.execute("""
            SELECT number FROM account_invoice
             WHERE company_id = %s AND type = 'out_invoice' AND number IS NOT NULL
               AND (state != 'open' OR webo_credit_note_id IS NOT NULL)
               AND EXTRACT(YEAR FROM date_invoice)::int = ANY(%s)
        """, [company.id, sorted({key[1] for key in named})])
        return {number_key(number) for (number,) in self.env.cr.fetchall()} & named

    def _webo_apply(self, workspace, decision, payers=None):
        """Write what the matcher decided for this line (``payers``: see
        ``_webo_remember_payer``)."""
        self.ensure_one()
        matches = self.env["webo.bank.match"].sudo()
        client = self.env["res.partner"].browse(decision.client) if decision.client else None
        values = {"webo_match_rule": decision.rule}
        if client and not self.partner_id:
            values["partner_id"] = client.id
        if decision.kind == "sure":
            invoices = self.env["account.invoice"].browse(decision.invoices)
            currency = self.journal_id.currency_id or self.company_id.currency_id
            amounts = [amount / 100.0 for amount in decision.amounts]
            # One write: a reconciliation that fails undoes the whole import.
            self.write(dict(values, webo_match_state="reconciled"))
            self._webo_reconcile(invoices, amounts, currency, payers)
            workspace.paid(decision)
            matches.create({"statement_line_id": self.id, "state": "auto", "rule": decision.rule,
                            "invoice_ids": [(6, 0, list(decision.invoices))]})
        elif decision.kind == "proposed":
            matches.create({"statement_line_id": self.id, "state": "proposed", "rule": decision.rule,
                            "invoice_ids": [(6, 0, list(decision.invoices))]})
            self.write(dict(values, webo_match_state="proposed"))
        else:
            self.write(dict(values, webo_match_state="unmatched"))

    def _webo_reconcile(self, invoices, amounts, currency, payers=None):
        """Reconcile this credit line with ``invoices``, each receiving its
        amount, through Odoo's statement reconciliation; the payer's IBAN
        becomes known for their client."""
        self.ensure_one()
        counterparts = []
        for invoice, amount in zip(invoices, amounts, strict=True):
            left = amount
            receivables = invoice.move_id.line_ids.filtered(
                lambda line, invoice=invoice: line.account_id == invoice.account_id and not line.reconciled
            ).sorted(lambda line: (line.date_maturity or "", line.id))
            for receivable in receivables:
                if float_compare(left, 0.0, precision_rounding=currency.rounding) <= 0:
                    break
                part = min(left, receivable.amount_residual)
                counterparts.append({"move_line": receivable, "credit": part, "debit": 0.0,
                                     "name": invoice.number})
                left = currency.round(left - part)
            if float_compare(left, 0.0, precision_rounding=currency.rounding) > 0:
                raise UserError(_("Invoice %(number)s no longer owes %(amount)s: the transfer cannot "
                                  "be reconciled with it.") % {"number": invoice.number, "amount": amount})
        self.process_reconciliation(counterpart_aml_dicts=counterparts)
        self._webo_remember_payer(invoices[:1].commercial_partner_id, payers)

    def _webo_remember_payer(self, client, payers=None):
        """The IBAN a client paid from, kept on the client: their next
        transfers are recognised by it. ``payers``: the IBANs a batch
        looked up already (in a batch, the accounts it creates have their
        searchable sanitized number only once the batch ends)."""
        iban = iban_plain(self.webo_payer_iban)
        if not iban or not client or (payers is not None and iban in payers):
            return
        if payers is not None:
            payers.add(iban)
        banks = self.env["res.partner.bank"].sudo()
        if banks.search_count([("sanitized_acc_number", "=", iban),
                               ("company_id", "in", (client.company_id.id, False))]):
            return
        banks.create({"acc_number": iban, "partner_id": client.id, "company_id": client.company_id.id})

