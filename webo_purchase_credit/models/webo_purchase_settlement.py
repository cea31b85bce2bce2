from odoo import _, api, fields, models
from odoo.tools.misc import formatLang

from .webo_purchase_order import QUIET_BOOKS


class WeboPurchaseSettlement(models.Model):
    """What one client payment paid of one deferred purchase: the
    platform's receipt on its invoice and the workspace's payment of the
    platform's bill, both from the payment-receiving account."""

    _name = "webo.purchase.settlement"
    _description = "Deferred Purchase Settlement"
    _order = "id"

    order_id = fields.Many2one(
        "webo.purchase.order", required=True, readonly=True,
        ondelete="restrict", index=True)
    company_id = fields.Many2one(
        related="order_id.company_id", store=True, readonly=True, string="Workspace")
    currency_id = fields.Many2one(related="order_id.currency_id", readonly=True)
    client_payment_id = fields.Many2one(
        "account.payment", required=True, readonly=True,
        ondelete="restrict", index=True,
        help="The client payment received in the payment-receiving account that paid it.")
    client_invoice_id = fields.Many2one(
        "account.invoice", required=True, readonly=True,
        ondelete="restrict", help="The workspace's invoice the client paid.")
    date = fields.Date(
        required=True, readonly=True, default=fields.Date.context_today,
        help="When the client payment paid it.")
    amount = fields.Monetary(required=True, readonly=True)
    stripe_fee_id = fields.Char(
        string="Stripe Application Fee", readonly=True,
        help="The application fee Stripe took for the platform from the client's card or SEPA "
             "payment on the connected account; empty when the payment came another way.")
    platform_payment_id = fields.Many2one(
        "account.payment", string="Platform Receipt", readonly=True,
        help="The platform's customer payment on its invoice.")
    bill_payment_id = fields.Many2one(
        "account.payment", readonly=True,
        help="The workspace's payment of the platform's bill, from the payment-receiving account.")

    _sql_constraints = [
        # A client payment never settles an order twice for one invoice.
        ("payment_invoice_order_unique", "unique(client_payment_id, client_invoice_id, order_id)",
         "This client payment already settled this order."),
        ("amount_positive", "CHECK(amount > 0)", "A settlement pays a positive amount."),
    ]

    def _webo_pay(self):
        """Record the settlement in both sets of books."""
        for settlement in self:
            order = settlement.order_id
            order._webo_write_books()
            settlement.platform_payment_id = settlement._webo_post_payment(
                order.invoice_id, settlement._webo_platform_journal(), "inbound", "customer")
            settlement.bill_payment_id = settlement._webo_post_payment(
                order.bill_id, settlement.client_payment_id.journal_id, "outbound", "supplier")
        return self

    def _webo_post_payment(self, invoice, journal, payment_type, partner_type):
        methods = (journal.inbound_payment_method_ids if payment_type == "inbound"
                   else journal.outbound_payment_method_ids)
        payment = self.env["account.payment"].sudo().with_context(**QUIET_BOOKS).create({
            "payment_type": payment_type,
            "partner_type": partner_type,
            "partner_id": invoice.commercial_partner_id.id,
            "amount": self.amount,
            "currency_id": self.currency_id.id,
            "journal_id": journal.id,
            "payment_method_id": methods[:1].id,
            "payment_date": self.client_payment_id.payment_date,
            "communication": _("%(order)s, from the payment of %(invoice)s") % {
                "order": self.order_id.name, "invoice": self.client_invoice_id.number},
            "invoice_ids": [(6, 0, invoice.ids)],
        })
        payment.post()
        return payment

    @api.model
    def _webo_platform_journal(self):
        """The platform's journal of deferred-payment settlements (made the
        first time): what it retains from the designers' payment-receiving
        accounts. Its entries can be cancelled, for reversals."""
        platform = self.env.ref("base.main_company")
        journals = self.env["account.journal"].sudo()
        journal = journals.search([("company_id", "=", platform.id), ("code", "=", "WDIF")], limit=1)
        if not journal:
            journal = journals.create({
                "name": _("Deferred payment settlements"), "code": "WDIF", "type": "bank",
                "company_id": platform.id, "update_posted": True})
        return journal

    def _webo_reverse(self):
        """The client payment was cancelled: so are the payments it made in
        both books; the orders are due again (and use the credit again)."""
        orders = self.mapped("order_id")
        payments = self.mapped("platform_payment_id") | self.mapped("bill_payment_id")
        payments.sudo().cancel()
        for order in orders:
            mine = self.filtered(lambda s, order=order: s.order_id == order)
            order.message_post(body=_(
                "The client payment of %(invoice)s was cancelled: the %(amount)s it paid of "
                "this purchase is due again.") % {
                    "invoice": mine[:1].client_invoice_id.number,
                    "amount": formatLang(self.env, sum(mine.mapped("amount")),
                                         currency_obj=order.currency_id)})
        self.sudo().unlink()
        orders._webo_update_state()
