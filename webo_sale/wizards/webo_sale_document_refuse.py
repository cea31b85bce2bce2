from odoo import api, fields, models

from ..models.webo_api import public_method


class WeboSaleDocumentRefuse(models.TransientModel):
    """The platform operator refuses documents, with the reason the
    designer will read."""

    _name = "webo.sale.document.refuse"
    _inherit = ["webo.api.checked"]
    _description = "Refuse Sales Service Documents"

    document_ids = fields.Many2many("webo.sale.document", string="Documents", required=True)
    reason = fields.Text(required=True,
                         help="Sent to the designer: say what is wrong and what to send instead.")

    @api.multi
    @public_method
    def action_refuse(self):
        self.env["webo.api"]._check_one(self)
        self.document_ids._webo_refuse(self.reason)
        return {"type": "ir.actions.act_window_close"}
