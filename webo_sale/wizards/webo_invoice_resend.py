from odoo import api, fields, models


class WeboInvoiceResend(models.TransientModel):
    _name = "webo.invoice.resend"
    _description = "Resend an invoice by email"

    invoice_id = fields.Many2one("account.invoice", required=True, readonly=True)
    partner_ids = fields.Many2many(
        "res.partner", string="Recipients", readonly=True,
        default=lambda self: self._default_partner_ids())

    def _default_partner_ids(self):
        invoice = self.env["account.invoice"].browse(self.env.context.get("default_invoice_id"))
        return invoice.webo_billing_partner_id

    @api.multi
    def action_resend(self):
        """"Renvoyer la facture"."""
        self.ensure_one()
        self.invoice_id.webo_resend()
        return {"type": "ir.actions.act_window_close"}
