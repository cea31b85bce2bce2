from odoo import fields, models


class WeboSaleDocumentRefuse(models.TransientModel):
    """The platform operator refuses documents, with the reason the
    designer will read."""

    _name = "webo.sale.document.refuse"
    _description = "Refuse Sales Service Documents"

    document_ids = fields.Many2many("webo.sale.document", string="Documents", required=True)
    reason = fields.Text(required=True,
                         help="Sent to the designer: say what is wrong and what to send instead.")

    def action_refuse(self):
        self.ensure_one()
        self.document_ids._webo_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
