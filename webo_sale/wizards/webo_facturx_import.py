from odoo import _, api, fields, models


class WeboFacturxImport(models.TransientModel):
    _name = "webo.facturx.import"
    _description = "Import a supplier invoice (Factur-X)"

    data = fields.Binary(
        string="Factur-X PDF", required=True, attachment=False,
        help="The PDF invoice of your supplier, with its Factur-X XML inside.")
    filename = fields.Char(string="File Name")

    @api.multi
    def action_import(self):
        """"Importer": the supplier's invoice becomes a draft vendor bill,
        shown at once for checking."""
        self.ensure_one()
        bill_id = self.env["account.invoice"].webo_import_facturx(self.data, self.filename)
        return {
            "type": "ir.actions.act_window",
            "name": _("Supplier bill"),
            "res_model": "account.invoice",
            "res_id": bill_id,
            "view_mode": "form",
            "views": [(self.env.ref("account.invoice_supplier_form").id, "form")],
            "target": "current",
        }
