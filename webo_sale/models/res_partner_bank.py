from odoo import SUPERUSER_ID, _, api, models
from odoo.exceptions import UserError

# What says where a client's transfer goes.
PAYMENT_DESTINATION_FIELDS = {"acc_number", "partner_id", "company_id", "bank_id"}


class ResPartnerBank(models.Model):
    _inherit = "res.partner.bank"

    @api.multi
    def write(self, values):
        if PAYMENT_DESTINATION_FIELDS & set(values):
            self._webo_check_not_receiving()
        return super().write(values)

    @api.multi
    def unlink(self):
        self._webo_check_not_receiving()
        return super().unlink()

    def _webo_check_not_receiving(self):
        """The account a sales service receives its clients' payments into
        is not edited in place: a new IBAN goes through the review of its
        bank details (webo.sale.service._webo_request_bank_change)."""
        if self.env.uid == SUPERUSER_ID or not self.ids:
            return
        in_use = self.env["webo.sale.service"].sudo().search_count(
            [("bank_account_id", "in", self.ids)])
        if in_use:
            raise UserError(_(
                "This IBAN is the one your clients pay into: it is not edited here. Give the "
                "new one with \"Update my documents or my IBAN\" (Gestion commerciale > Vente > "
                "Synthèse, tab Documents) with its bank details (RIB); it is used once the "
                "platform has validated them."))
