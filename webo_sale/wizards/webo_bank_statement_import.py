"""Relevés bancaires > Importer: a CAMT.053 or OFX file of the bank into a
bank journal of the workspace (the payment-receiving account by default),
its credit lines matched with the invoices they pay. Over XML-RPC:
account.bank.statement.webo_import_statement."""
from odoo import _, api, fields, models

from ..tools import check_upload_size
from .account_bank_statement_import import MAX_STATEMENT_SIZE


class WeboBankStatementImport(models.TransientModel):
    _name = "webo.bank.statement.import"
    _description = "Import a bank statement"

    data = fields.Binary(
        string="Statement File", required=True, attachment=False,
        help="The statement file your bank gives: CAMT.053 (XML, ISO 20022) or OFX.")
    filename = fields.Char(string="File Name")
    journal_id = fields.Many2one(
        "account.journal", string="Bank Account", default=lambda self: self._default_journal(),
        domain="[('type', '=', 'bank'), ('company_id', '=', company_id)]",
        help="The bank journal of your workspace the statement belongs to. Empty: the one "
             "whose IBAN the file names.")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.user.company_id,
                                 readonly=True)

    @api.model
    def _default_journal(self):
        service = self.env["webo.sale.service"].sudo().search(
            [("company_id", "=", self.env.user.company_id.id), ("state", "=", "open")], limit=1)
        return service.payment_journal_id.id

    @api.model
    def create(self, values):
        # Refused before the file is stored in the wizard's row.
        check_upload_size(self, values.get("data"), MAX_STATEMENT_SIZE,
                          values.get("filename") or _("the file"))
        return super().create(values)

    @api.multi
    def write(self, values):
        if "data" in values:
            check_upload_size(self, values["data"], MAX_STATEMENT_SIZE,
                              values.get("filename") or _("the file"))
        return super().write(values)

    @api.multi
    def action_import(self):
        """"Importer": the statement, its lines matched, shown at once."""
        self.ensure_one()
        statements = self.env["account.bank.statement"]._webo_import(
            self.data, self.filename or _("the statement"), self.journal_id.id or None)
        action = self.env.ref("webo_sale.account_bank_statement_action").read()[0]
        if len(statements) == 1:
            action.update({"res_id": statements.id, "view_mode": "form",
                           "views": [(self.env.ref("webo_sale.account_bank_statement_view_form").id,
                                      "form")]})
        else:
            action["domain"] = [("id", "in", statements.ids)]
        return action
