from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..tools.actions import wizard_action
from .webo_invoice_wizard import report_body, rolled_back


class WeboInvoiceCancel(models.TransientModel):
    _name = "webo.invoice.cancel"
    _description = "Cancel an invoice with a credit note"

    invoice_id = fields.Many2one("account.invoice", required=True, readonly=True)
    state = fields.Selection(
        [("confirm", "Confirmation"), ("preview", "Credit note preview")],
        default="confirm", required=True, readonly=True)
    confirm = fields.Boolean(
        string="I confirm the creation of a credit note for the whole invoice",
        help="An issued invoice is never deleted: a credit note of the same "
             "amount cancels it, and is sent to the client.")
    preview_html = fields.Html(string="Credit Note Preview", sanitize=False, readonly=True)

    @api.multi
    def action_next(self):
        """"Suivant": the preview of the credit note."""
        self.ensure_one()
        self._check_confirmed()
        invoice = self.invoice_id
        invoice._webo_check_can_be_credited()
        with rolled_back(self.env):
            credit_note = invoice._webo_new_credit_note()
            credit_note.action_invoice_open()
            html = credit_note._webo_report().render_qweb_html(credit_note.ids)[0]
        self.write({"preview_html": report_body(html), "state": "preview"})
        return wizard_action(self._name, _("Cancel the invoice"), res_id=self.id)

    @api.multi
    def action_create_credit_note(self):
        """"Créer l'avoir"."""
        self.ensure_one()
        self._check_confirmed()
        self.invoice_id.webo_cancel_with_credit_note()
        return {"type": "ir.actions.act_window_close"}

    def _check_confirmed(self):
        if not self.confirm:
            raise UserError(_("Tick the box to confirm the credit note: it cancels the whole invoice."))
