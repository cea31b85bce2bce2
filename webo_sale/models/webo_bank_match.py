"""A match of a bank statement credit line with the invoice(s) it pays:
reconciled at once when sure, else proposed with its reason for the
designer to confirm (one click: reconciled as a sure one) or reject."""
from odoo import _, api, fields, models, tools
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..tools.bank_matching import RULES
from .webo_api import public_method


class WeboBankMatch(models.Model):
    _name = "webo.bank.match"
    _description = "Bank Transfer Match"
    _order = "date desc, id desc"

    statement_line_id = fields.Many2one(
        "account.bank.statement.line", required=True, readonly=True,
        ondelete="cascade", index=True)
    statement_id = fields.Many2one(related="statement_line_id.statement_id", store=True, readonly=True)
    company_id = fields.Many2one(related="statement_line_id.company_id", store=True, readonly=True,
                                 string="Workspace", index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", readonly=True)
    date = fields.Date(related="statement_line_id.date", store=True, readonly=True)
    amount = fields.Monetary(related="statement_line_id.amount", readonly=True, currency_field="currency_id")
    # A related field takes its target's label ("Partner Name") unless given one.
    payer = fields.Char(related="statement_line_id.partner_name", readonly=True,
                        string="Payer")  # pylint: disable=attribute-string-redundant
    label = fields.Char(related="statement_line_id.name", readonly=True, string="Transfer Label")
    invoice_ids = fields.Many2many(
        "account.invoice", "webo_bank_match_invoice_rel", "match_id", "invoice_id",
        string="Invoices", readonly=True,
        help="The invoices the transfer pays, oldest first.")
    partner_id = fields.Many2one(related="statement_line_id.partner_id", readonly=True, string="Client")
    state = fields.Selection(
        [("auto", "Reconciled automatically"), ("proposed", "To confirm"),
         ("confirmed", "Confirmed"), ("rejected", "Rejected")],
        required=True, readonly=True, index=True)
    rule = fields.Selection(lambda self: self._webo_rule_labels(), required=True, readonly=True)
    reason = fields.Char(compute="_compute_reason",
                         help="Why the transfer was matched with these invoices.")

    def _compute_reason(self):
        labels = dict(self._webo_rule_labels())
        for match in self:
            match.reason = labels.get(match.rule)

    @api.model
    def _webo_rule_labels(self):
        """Each rule of ``tools/bank_matching.RULES``, explained (in the
        context's language)."""
        return list(self._webo_rule_labels_in(self.env.lang))

    @api.model
    @tools.ormcache("lang")
    def _webo_rule_labels_in(self, lang):
        """The rules' labels in ``lang``, translated once: the selection of
        the rule fields asks for them at every write of a matched line.
        (Odoo empties this cache when a translation changes.)"""
        return self.with_context(lang=lang)._webo_rule_label_texts()

    @api.model
    def _webo_rule_label_texts(self):
        labels = {
            "reference_amount": _("The invoice number(s) and exactly what they still owe."),
            "reference_partial": _("The invoice number, less than it owes, paid by its client "
                                   "(known IBAN or name): a partial payment."),
            "iban_amount": _("No invoice number; the client's known IBAN and its only open invoice "
                             "of that amount."),
            "reference_other_payer": _("The invoice number is right, but the transfer came from "
                                       "the IBAN of another client."),
            "reference_unsure": _("The invoice number, but neither the amount nor the payer "
                                  "confirms it."),
            "reference_several_clients": _("Invoice numbers of several clients."),
            "number_only_amount": _("An invoice number without its prefix, and the amount."),
            "iban_several": _("The client's known IBAN, but several of its invoices have this "
                              "amount: the oldest is proposed."),
            "iban_sum": _("The client's known IBAN, and two of its invoices add up to the amount."),
            "name_amount": _("The payer's name is a client's, and the amount is that of its only "
                             "open invoice of that amount."),
            "amount_only": _("No invoice number and an unknown payer: only the amount, that of a "
                             "single open invoice."),
            "more_than_due": _("The invoices named owe less than the transfer."),
            "already_paid": _("The invoice named is already paid or cancelled."),
            "nothing": _("No invoice number, no known payer, no single invoice of that amount."),
        }
        return tuple((rule, labels[rule]) for rule in RULES)

    @api.model
    @public_method
    def webo_proposals(self, statement_id=None):
        """The proposals waiting for the user's confirmation (of one
        statement if given), as a list of {id, date, amount, payer, label,
        statement_id, rule, reason, invoices: [{id, number, client,
        amount_due}]}."""
        checks = self.env["webo.api"]
        domain = [("state", "=", "proposed")]
        if statement_id is not None:
            statement = checks._check_record("account.bank.statement", statement_id, _("The statement"))
            domain.append(("statement_id", "=", statement.id))
        return [{
            "id": match.id,
            "date": match.date,
            "amount": match.amount,
            "payer": match.payer or "",
            "label": match.label or "",
            "statement_id": match.statement_id.id,
            "rule": match.rule,
            "reason": match.reason,
            "invoices": [{"id": invoice.id, "number": invoice.number,
                          "client": invoice.commercial_partner_id.name,
                          "amount_due": invoice.residual} for invoice in match.invoice_ids],
        } for match in self.search(domain)]

    @api.multi
    @public_method
    def webo_confirm(self):
        """Confirm proposals: each transfer is reconciled with its invoices
        (oldest first, each up to what it owes), as a sure match is."""
        self._webo_check_designer()
        for match in self:
            match._webo_check_proposed()
            match.sudo()._webo_reconcile_proposal()
            match.sudo().write({"state": "confirmed"})
        return True

    @api.multi
    @public_method
    def webo_reject(self):
        """Reject proposals: the transfer stays unmatched."""
        self._webo_check_designer()
        for match in self:
            match._webo_check_proposed()
        self.sudo().write({"state": "rejected"})
        self.sudo().mapped("statement_line_id").write({"webo_match_state": "unmatched"})
        return True

    @api.multi
    def action_webo_confirm(self):
        return self.webo_confirm()

    @api.multi
    def action_webo_reject(self):
        return self.webo_reject()

    def _webo_check_designer(self):
        """Confirming and rejecting act for the workspace: a designer of
        it (the record rules keep other workspaces' proposals out of reach)."""
        self.check_access_rights("read")
        self.check_access_rule("read")
        user = self.env.user
        if not (user.has_group("webo_sale.group_designer")
                or user.has_group("webo_sale.group_platform_operator")):
            raise UserError(_("Only a designer of the workspace confirms or rejects its bank transfers."))

    def _webo_check_proposed(self):
        if self.state != "proposed":
            state = dict(self._fields["state"]._description_selection(self.env))[self.state]
            raise UserError(_("This match of the transfer of %(date)s is no longer waiting for a "
                              "decision (%(state)s).") % {"date": self.date, "state": state})

    def _webo_reconcile_proposal(self):
        line = self.statement_line_id
        currency = line.journal_id.currency_id or line.company_id.currency_id
        left = line.amount
        invoices, amounts = self.env["account.invoice"], []
        for invoice in self.invoice_ids.sorted(lambda i: (i.date_invoice, i.id)):
            if float_compare(left, 0.0, precision_rounding=currency.rounding) <= 0:
                break
            if invoice.state != "open" or invoice.webo_credit_note_id:
                continue
            part = min(left, invoice.residual)
            invoices |= invoice
            amounts.append(part)
            left = currency.round(left - part)
        if not invoices or float_compare(left, 0.0, precision_rounding=currency.rounding) > 0:
            raise UserError(_(
                "The invoices of this proposal (%(numbers)s) no longer owe the %(amount)s of the "
                "transfer (paid or cancelled meanwhile): reject the proposal."
            ) % {"numbers": ", ".join(self.invoice_ids.mapped("number")), "amount": line.amount})
        if not line.partner_id:
            line.partner_id = invoices[:1].commercial_partner_id
        line._webo_reconcile(invoices, amounts, currency)
        line.webo_match_state = "reconciled"
