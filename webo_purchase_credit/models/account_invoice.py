from odoo import models


class AccountInvoice(models.Model):
    _inherit = "account.invoice"

    def _webo_payment_received(self, amount, payments):
        """A client paid into the workspace's payment-receiving account:
        the workspace's open deferred purchases are paid from it."""
        result = super()._webo_payment_received(amount, payments)
        self._webo_settle_purchases(amount, payments)
        return result

    def _webo_settle_purchases(self, amount, payments):
        self.ensure_one()
        service = self.env["webo.sale.service"].sudo().search(
            [("company_id", "=", self.company_id.id)], limit=1)
        received = payments.sudo().filtered(
            lambda p: p.journal_id == service.payment_journal_id and p.payment_type == "inbound")
        if not service.payment_journal_id or not received:
            return
        payment = received[:1]
        if payment.webo_stripe_checkout_id:
            # Stripe took the platform's share itself (the payment's
            # application fee): the checkout settles exactly what it took
            # (webo.stripe.checkout._webo_collect_fee).
            return
        self._webo_settle_orders(payment, amount)

    def _webo_settle_orders(self, payment, amount, stripe_fee_id=False):
        """Pay the workspace's open orders, oldest first, from ``amount``
        of ``payment`` received for this invoice (``stripe_fee_id``: the
        Stripe application fee that took it); returns the settlements made."""
        settlements = self.env["webo.purchase.settlement"].sudo()
        # Idempotent: a payment already settled from for this invoice is not
        # used again (a re-reconciliation, a repeated notification).
        if settlements.search_count([("client_payment_id", "=", payment.id),
                                     ("client_invoice_id", "=", self.id)]):
            return settlements
        orders = self.env["webo.purchase.order"].sudo().search(
            [("company_id", "=", self.company_id.id), ("state", "=", "confirmed")],
            order="date_order, id")
        if not orders:
            return settlements
        # Two receipts of one workspace at once would pay the same orders:
        # the second waits (and, stale, is retried by Odoo).
        self.env.cr.execute("SELECT id FROM webo_purchase_order WHERE id IN %s ORDER BY id FOR UPDATE",
                            (tuple(orders.ids),))
        settlements = orders._webo_settle_from(payment, self, amount, stripe_fee_id)
        for order in settlements.mapped("order_id"):
            order._webo_notify_settled(settlements.filtered(lambda s, order=order: s.order_id == order))
        return settlements
