from odoo import api, fields, models


class WeboPurchaseCheckoutLine(models.TransientModel):
    _name = "webo.purchase.checkout.line"
    _description = "Platform Purchase Checkout Line"

    checkout_id = fields.Many2one("webo.purchase.checkout", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="checkout_id.currency_id", readonly=True)
    product_id = fields.Many2one(
        "product.product", string="Service", required=True,
        domain=[("sale_ok", "=", True), ("type", "=", "service")],
        help="A service the platform sells (mail account, hosting, domain name).")
    quantity = fields.Integer(required=True, default=1)
    price_unit = fields.Monetary(
        compute="_compute_price_subtotal", string="Unit Price",
        help="The service's list price.")
    price_subtotal = fields.Monetary(compute="_compute_price_subtotal", string="Amount")

    @api.depends("quantity", "product_id")
    def _compute_price_subtotal(self):
        # A line being added in the form may not know its summary yet.
        platform_currency = self.env.ref("base.main_company").sudo().currency_id
        for line in self:
            line.price_unit = line.product_id.lst_price
            line.price_subtotal = (line.currency_id or platform_currency).round(
                line.quantity * line.product_id.lst_price)
