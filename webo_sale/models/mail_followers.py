from odoo import api, models


class MailFollowers(models.Model):
    _name = "mail.followers"
    _inherit = ["mail.followers", "webo.document.reader.mixin"]

    @api.model
    def _webo_document_models(self):
        return [name for name, model in self.env.items()
                if "message_follower_ids" in model._fields and not model._abstract]
