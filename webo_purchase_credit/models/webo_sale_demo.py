from odoo import api, models

# The invoice of claire's story whose payment settles her deferred purchase.
SETTLING_INVOICE = "Optimisation du référencement"


class WeboSaleDemo(models.AbstractModel):
    _inherit = "webo.sale.demo"

    @api.model
    def _demo_deferred_purchase(self):
        """Claire buys a hosting service with deferred payment (the
        checkout's "Paiement différé"); then her client pays her an
        invoice, and that payment settles the purchase."""
        claire = self.env.ref("webo_sale.user_claire")
        as_claire = self.with_context(lang=claire.lang, tz=claire.tz)
        as_claire.env["webo.purchase.order"].sudo(claire).webo_buy(
            [{"product_id": self.env.ref("webo_sale.product_hosting").id, "quantity": 1}],
            payment_method="deferred", accept_terms=True)
        invoice = as_claire.env["account.invoice"].sudo(claire).search([
            ("name", "=", SETTLING_INVOICE), ("type", "=", "out_invoice"), ("state", "=", "open")], limit=1)
        invoice.webo_register_payment(invoice.residual)
