from odoo import api, fields, models


class WeboPurchaseOrderLine(models.Model):
    _name = "webo.purchase.order.line"
    _description = "Platform Purchase Order Line"

    order_id = fields.Many2one(
        "webo.purchase.order", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, readonly=True, string="Workspace")
    currency_id = fields.Many2one(related="order_id.currency_id", readonly=True)
    product_id = fields.Many2one(
        "product.product", string="Service", required=True, readonly=True,
        help="The platform service bought.")
    name = fields.Char(string="Description", required=True, readonly=True)
    quantity = fields.Integer(required=True, readonly=True, default=1)
    price_unit = fields.Monetary(
        string="Unit Price", required=True, readonly=True,
        help="The service's list price when the order was placed.")
    price_subtotal = fields.Monetary(
        string="Amount", compute="_compute_price_subtotal", store=True)

    @api.depends("quantity", "price_unit")
    def _compute_price_subtotal(self):
        for line in self:
            line.price_subtotal = line.currency_id.round(line.quantity * line.price_unit)
