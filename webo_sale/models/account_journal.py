from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import UserError

BANK_FIELDS = {"bank_account_id", "bank_acc_number", "bank_id"}


class AccountJournal(models.Model):
    _inherit = "account.journal"

    @api.multi
    def write(self, values):
        if BANK_FIELDS & set(values) and self.env.uid != SUPERUSER_ID:
            receiving = self.env["webo.sale.service"].sudo().search_count(
                [("payment_journal_id", "in", self.ids)])
            if receiving:
                raise UserError(_(
                    "The bank account of the payment-receiving journal changes only with "
                    "\"Update my documents or my IBAN\": the new IBAN is used once the "
                    "platform has validated its bank details (RIB)."))
        return super().write(values)
