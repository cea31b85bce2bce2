from odoo import api, models


class MailActivity(models.Model):
    _name = "mail.activity"
    _inherit = ["mail.activity", "webo.document.reader.mixin"]

    @api.model
    def _webo_document_models(self):
        return [name for name, model in self.env.items()
                if "activity_ids" in model._fields and not model._abstract]
