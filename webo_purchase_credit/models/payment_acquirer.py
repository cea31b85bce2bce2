from odoo import fields, models


class PaymentAcquirer(models.Model):
    _inherit = "payment.acquirer"

    provider = fields.Selection(selection_add=[("deferred", "Deferred payment")])
