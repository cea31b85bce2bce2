from odoo import _, api, fields, models
from odoo.addons.webo_sale.tools.actions import wizard_action
from odoo.exceptions import UserError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang


class WeboPurchaseCheckout(models.TransientModel):
    """The payment summary of a platform purchase: the services, their
    total, the purchase credit, "Choix du moyen de paiement", the terms of
    sale, "Confirmer la commande", then "Procéder au paiement"."""

    _name = "webo.purchase.checkout"
    _description = "Platform Purchase Checkout"

    step = fields.Selection(
        [("summary", "Payment summary"), ("confirm", "Confirmation")],
        required=True, default="summary", readonly=True)
    line_ids = fields.One2many("webo.purchase.checkout.line", "checkout_id", string="Services")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.ref("base.main_company").sudo().currency_id,
        readonly=True)
    amount_total = fields.Monetary(compute="_compute_amount_total", string="Total")
    # The credit when the summary opens: defaults, so that the new form
    # shows them (a computed field without dependencies is not sent).
    credit_ceiling = fields.Monetary(
        default=lambda self: self._webo_credit()["ceiling"], readonly=True,
        string="Purchase Credit Ceiling",
        help="The most your workspace may owe the platform in deferred purchases.")
    credit_used = fields.Monetary(
        default=lambda self: self._webo_credit()["used"], readonly=True,
        string="Purchase Credit Used", help="Your deferred purchases not paid yet.")
    credit_available = fields.Monetary(
        default=lambda self: self._webo_credit()["available"], readonly=True,
        string="Purchase Credit Available", help="What you can still buy with deferred payment.")
    payment_method = fields.Selection(
        [("deferred", "Deferred payment")], string="Choice of payment method",
        help="Deferred payment: the order is paid from your next client payments.")
    deferred_refusal = fields.Char(
        compute="_compute_deferred_refusal", string="Deferred Payment Not Offered",
        help="Why deferred payment is not offered for this order.")
    accept_terms = fields.Boolean(
        string="I accept the terms of sale",
        help="Required to confirm the order.")

    @api.depends("line_ids.price_subtotal")
    def _compute_amount_total(self):
        for checkout in self:
            checkout.amount_total = checkout.currency_id.round(
                sum(checkout.line_ids.mapped("price_subtotal")))

    @api.model
    def _webo_credit(self):
        return self.env["webo.sale.service"].webo_purchase_credit()

    @api.depends("line_ids.price_subtotal")
    def _compute_deferred_refusal(self):
        credit = self._webo_credit()
        for checkout in self:
            checkout.deferred_refusal = checkout._webo_refusal(credit)

    def _webo_refusal(self, credit):
        """Why "Deferred payment" cannot be offered, or False: the service
        is not open, it is blocked, or the order exceeds the credit."""
        if credit["state"] != "open":
            return _("Deferred payment is offered once your sales service is open.")
        if credit["blocked"]:
            return _("Deferred payment is suspended for your workspace by the platform.")
        if float_compare(self.amount_total, credit["available"],
                         precision_rounding=self.currency_id.rounding) > 0:
            return _("This order is more than your available purchase credit, which is "
                     "%(available)s.") % {
                "available": formatLang(self.env, credit["available"], currency_obj=self.currency_id)}
        return False

    # Actions (buttons)

    def action_confirm_order(self):
        """Confirmer la commande: everything checked, then the last step."""
        self.ensure_one()
        self._webo_check()
        self.step = "confirm"
        return self._webo_reopen()

    def action_back(self):
        self.ensure_one()
        self.step = "summary"
        return self._webo_reopen()

    def action_pay(self):
        """Procéder au paiement: the order is placed, invoiced, and the
        credit used; its form opens."""
        self.ensure_one()
        self._webo_check()
        order_id = self.env["webo.purchase.order"].webo_buy(
            [{"product_id": line.product_id.id, "quantity": line.quantity} for line in self.line_ids],
            payment_method=self.payment_method, accept_terms=self.accept_terms)
        return {
            "type": "ir.actions.act_window",
            "name": _("Orders"),
            "res_model": "webo.purchase.order",
            "res_id": order_id,
            "view_mode": "form",
            "target": "main",
        }

    def _webo_check(self):
        if not self.line_ids:
            raise UserError(_("Add at least one service to the order."))
        if self.payment_method != "deferred":
            raise UserError(_("Choose a payment method: \"Deferred payment\" is the one offered "
                              "for platform purchases."))
        if not self.accept_terms:
            raise UserError(_("Accept the terms of sale to confirm the order."))
        if self.deferred_refusal:
            raise UserError(self.deferred_refusal)

    def _webo_reopen(self):
        return wizard_action(self._name, _("Payment summary"), res_id=self.id)
