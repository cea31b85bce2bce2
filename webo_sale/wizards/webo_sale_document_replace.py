from odoo import api, fields, models

from ..models.webo_api import public_method


class WeboSaleDocumentReplace(models.TransientModel):
    """The designer sends a new file for a document (a refused one, most
    often); it goes back to review."""

    _name = "webo.sale.document.replace"
    _inherit = ["webo.api.checked"]
    _description = "Replace a Sales Service Document"

    document_id = fields.Many2one("webo.sale.document", required=True,
                                  ondelete="cascade")
    refusal_reason = fields.Text(related="document_id.refusal_reason", readonly=True)
    file = fields.Binary(string="New File", attachment=False, required=True,
                         help="PDF, JPEG or PNG, 10 MB at most.")
    filename = fields.Char()

    @api.model
    def create(self, vals):
        # An oversized file is refused before the wizard's row stores it.
        self._webo_check_size(vals)
        return super().create(vals)

    @api.multi
    def write(self, vals):
        self._webo_check_size(vals)
        return super().write(vals)

    @api.model
    def _webo_check_size(self, values):
        if values.get("file"):
            self.env["webo.sale.document"]._webo_check_file_size(
                values["file"], values.get("filename") or self._fields["file"].get_description(
                    self.env)["string"])

    @api.multi
    @public_method
    def action_replace(self):
        self.env["webo.api"]._check_one(self)
        self.document_id._webo_replace(self.file, self.filename)
        return {"type": "ir.actions.act_window_close"}
