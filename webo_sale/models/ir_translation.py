from odoo import api, models


class IrTranslation(models.Model):
    _name = "ir.translation"
    _inherit = ["ir.translation", "webo.document.reader.mixin"]

    @api.model
    def _webo_document_models(self):
        return [name for name, model in self.env.items() if not model._abstract and any(
            field.translate and field.store for field in model._fields.values())]

    @api.model
    def _webo_rows_of(self, model_name):
        return "type = 'model' AND name LIKE %s", [model_name.replace("_", "\\_") + ",%"]

    @api.model
    def _webo_always_readable(self):
        # Terms of the code, views, fields and selections: the same for all.
        return "type != 'model'"
