import logging

from odoo import _, api, fields, models
from odoo.addons.webo_sale.models.webo_api import public_method
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero
from odoo.tools.misc import formatLang

_logger = logging.getLogger(__name__)

# The books of a purchase are written by the platform on its own: no
# follower, no tracking message, so no email to anybody (the designer is
# told by the order's own messages).
QUIET_BOOKS = {"tracking_disable": True, "mail_create_nosubscribe": True, "mail_create_nolog": True,
               "mail_notrack": True}

ORDER_STATES = [
    ("confirmed", "To pay"),
    ("settled", "Paid"),
]


class WeboPurchaseOrder(models.Model):
    """A purchase of platform services by a workspace (the seed's
    "Commande"), paid with deferred payment: confirmed at once, invoiced by
    the platform, paid later from the workspace's client receipts."""

    _name = "webo.purchase.order"
    _description = "Platform Purchase Order"
    _inherit = ["mail.thread"]
    _order = "date_order desc, id desc"

    name = fields.Char(
        string="Order", required=True, readonly=True, copy=False, default="/",
        help="The order's number, from the platform's sequence.")
    company_id = fields.Many2one(
        "res.company", string="Workspace", required=True, readonly=True, index=True,
        help="The workspace that bought.")
    service_id = fields.Many2one(
        "webo.sale.service", string="Sales Service", required=True, readonly=True,
        ondelete="restrict", help="The sales service whose purchase credit the order uses.")
    user_id = fields.Many2one(
        "res.users", string="Ordered By", required=True, readonly=True,
        help="The designer who placed the order.")
    date_order = fields.Datetime(
        string="Order Date", required=True, readonly=True, default=fields.Datetime.now,
        help="When the order was confirmed; the oldest orders are paid first.")
    line_ids = fields.One2many(
        "webo.purchase.order.line", "order_id", string="Lines", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", required=True, readonly=True,
        help="The platform's currency.")
    amount_total = fields.Monetary(
        string="Total", required=True, readonly=True, help="What the order costs.")
    amount_settled = fields.Monetary(
        string="Paid", compute="_compute_amounts", store=True,
        help="What the workspace's client receipts have paid of it so far.")
    amount_due = fields.Monetary(
        string="Still Due", compute="_compute_amounts", store=True,
        help="What remains to be paid from the next client receipts.")
    state = fields.Selection(
        ORDER_STATES, string="Status", required=True, readonly=True, default="confirmed",
        index=True, help="To pay: bought with deferred payment, awaiting client receipts. "
                         "Paid: fully settled from the client receipts.")
    acquirer_id = fields.Many2one(
        "payment.acquirer", string="Payment Method", required=True, readonly=True,
        help="How the order is paid (Deferred payment).")
    terms_accepted = fields.Boolean(
        string="Terms of Sale Accepted", readonly=True,
        help="The designer accepted the terms of sale when confirming the order.")
    invoice_id = fields.Many2one(
        "account.invoice", string="Platform Invoice", readonly=True, copy=False,
        help="The platform's invoice of the order to the workspace.")
    bill_id = fields.Many2one(
        "account.invoice", string="Vendor Bill", readonly=True, copy=False,
        help="The order in the workspace's books: a bill from the platform, written by the "
             "platform within a minute of the order.")
    settlement_ids = fields.One2many(
        "webo.purchase.settlement", "order_id", string="Settlements", readonly=True)
    idempotency_key = fields.Char(
        readonly=True, copy=False,
        help="The key the caller of webo_buy gave: the same key again returns this order "
             "instead of buying a second time.")
    credit_available = fields.Monetary(
        related="service_id.purchase_available", string="Purchase Credit Available",
        readonly=True, help="What the workspace can still buy with deferred payment.")
    credit_ceiling = fields.Monetary(
        related="service_id.purchase_ceiling", string="Purchase Credit Ceiling", readonly=True)
    credit_used = fields.Monetary(
        related="service_id.purchase_used", string="Purchase Credit Used", readonly=True)

    _sql_constraints = [
        ("amount_positive", "CHECK(amount_total > 0)", "An order costs a positive amount."),
        # One order per key and workspace, whatever happens to the caller's
        # connection.
        ("idempotency_key_unique", "UNIQUE (company_id, idempotency_key)",
         "This idempotency key has already placed an order."),
    ]

    @api.depends("amount_total", "settlement_ids.amount")
    def _compute_amounts(self):
        for order in self:
            settled = order.currency_id.round(sum(order.settlement_ids.mapped("amount")))
            order.amount_settled = settled
            order.amount_due = order.currency_id.round(order.amount_total - settled)

    # Public API

    @api.model
    @public_method
    def webo_buy(self, lines, payment_method="deferred", accept_terms=False, idempotency_key=None):
        """Buy platform services for the user's workspace (XML-RPC and the
        checkout screen): ``lines`` is a list of {product_id, quantity}.
        Returns the confirmed order's id.

        ``idempotency_key`` (a text the caller chooses, unique per
        purchase): a call repeated with the same key, after a lost answer
        or a failed request, returns the order it placed instead of buying
        again."""
        self.env["account.invoice"]._webo_check_idempotency_key(idempotency_key)
        if payment_method != "deferred":
            raise UserError(_("Choose a payment method: \"Deferred payment\" is the one offered "
                              "for platform purchases."))
        if not self.env["webo.api"]._check_boolean(accept_terms, "accept_terms"):
            raise UserError(_("Accept the terms of sale to confirm the order."))
        company = self.env.user.company_id
        service = self.env["webo.sale.service"]._webo_for_company(company).sudo()
        order_lines = self._webo_prepare_lines(lines)
        currency = self._webo_platform().currency_id
        line_values = [{"product_id": product.id, "name": product.name, "quantity": quantity,
                        "price_unit": product.lst_price} for product, quantity in order_lines]
        amount = currency.round(sum(line["quantity"] * line["price_unit"] for line in line_values))
        acquirer = self._webo_acquirer()
        # The turn first, then the check against what is used: two purchases
        # of one workspace never both take the last of its credit.
        with service._webo_credit_turn():
            # In its turn, the purchase sees every order placed before it.
            if idempotency_key:
                placed = self._webo_order_with_key(company, idempotency_key, line_values)
                if placed:
                    return placed.id
            service._webo_check_credit(amount)
            order = self._webo_insert({
                "name": self.env["ir.sequence"].sudo().next_by_code("webo.purchase.order") or "/",
                "company_id": company.id,
                "service_id": service.id,
                "user_id": self.env.uid,
                "currency_id": currency.id,
                "amount_total": amount,
                "acquirer_id": acquirer.id,
                "idempotency_key": idempotency_key or None,
            }, line_values)
        # The books follow within a minute (``_webo_issue_platform_invoices``):
        # the order alone already uses the credit.
        return order.id

    # Business methods

    @api.model
    def _webo_platform(self):
        return self.env.ref("base.main_company").sudo()

    @api.model
    def _webo_insert(self, values, lines):
        """Record a confirmed order and its lines, terms accepted, nothing
        paid yet; returns it. Every purchase does it while its workspace's
        turn is held, so it is two plain statements: the ORM's create (mail
        thread, one-to-many, stored computations: a dozen queries) took most
        of a purchase's time. The stored computed values are written as
        their computations would (each line's amount rounded in the order's
        currency, the lines in the order's workspace); nobody follows an
        order: its messages go to the designers named."""
        currency = self.env["res.currency"].browse(values["currency_id"])
        values = dict({"idempotency_key": None}, **values)
        values.update(uid=self.env.uid, amount_total=currency.round(values["amount_total"]))
        self.env.cr.execute("""
            INSERT INTO webo_purchase_order
                   (name, company_id, service_id, user_id, currency_id, acquirer_id, amount_total,
                    amount_settled, amount_due, state, terms_accepted, idempotency_key, date_order,
                    create_uid, write_uid, create_date, write_date)
            VALUES (%(name)s, %(company_id)s, %(service_id)s, %(user_id)s, %(currency_id)s,
                    %(acquirer_id)s, %(amount_total)s, 0, %(amount_total)s, 'confirmed', TRUE,
                    %(idempotency_key)s,
                    now() at time zone 'UTC', %(uid)s, %(uid)s,
                    now() at time zone 'UTC', now() at time zone 'UTC')
            RETURNING id
        """, values)
        order_id = self.env.cr.fetchone()[0]
        for line in lines:
            self.env.cr.execute("""
                INSERT INTO webo_purchase_order_line
                       (order_id, company_id, product_id, name, quantity, price_unit, price_subtotal,
                        create_uid, write_uid, create_date, write_date)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,
                        now() at time zone 'UTC', now() at time zone 'UTC')
            """, (order_id, values["company_id"], line["product_id"], line["name"], line["quantity"],
                  line["price_unit"], currency.round(line["quantity"] * line["price_unit"]),
                  self.env.uid, self.env.uid))
        return self.browse(order_id)

    @api.model
    def _webo_order_with_key(self, company, key, line_values):
        """The order this key already placed for the workspace, after
        checking it is the same purchase (same services and quantities)."""
        order = self.sudo().search([("company_id", "=", company.id), ("idempotency_key", "=", key)],
                                   limit=1)
        if not order:
            return order
        bought = sorted((line.product_id.id, line.quantity) for line in order.line_ids)
        asked = sorted((line["product_id"], line["quantity"]) for line in line_values)
        if bought != asked:
            raise UserError(_(
                "The idempotency key %(key)s has already placed another order (%(order)s): use a "
                "new key for a new purchase.") % {"key": key, "order": order.name})
        return order

    @api.model
    def _webo_acquirer(self):
        acquirer = self.env["payment.acquirer"].sudo().search(
            [("provider", "=", "deferred"), ("company_id", "=", self._webo_platform().id)], limit=1)
        if not acquirer:
            raise UserError(_("Deferred payment is not set up on the platform: contact webo-facto."))
        return acquirer

    @api.model
    def _webo_products(self):
        """What the platform sells: its active services on sale."""
        return self.env["product.product"].sudo().search([
            ("sale_ok", "=", True), ("company_id", "in", [self._webo_platform().id, False]),
            ("type", "=", "service")])

    @api.model
    def _webo_prepare_lines(self, lines):
        """[(product, quantity)] from the buyer's lines, every product one
        the platform sells, every quantity a positive whole number."""
        if not lines:
            raise UserError(_("Add at least one service to the order."))
        if not isinstance(lines, (list, tuple)):
            raise UserError(_("Send the order's lines as a list of {product_id, quantity}."))
        products = self._webo_products()
        result = []
        for line in lines:
            values = line if isinstance(line, dict) else {}
            product_id, quantity = values.get("product_id"), values.get("quantity", 1)
            product = products.filtered(lambda p, pid=product_id: p.id == pid)
            if not isinstance(product_id, int) or not product:
                raise UserError(_(
                    "The service %(product)s is not (or no longer) sold by the platform: "
                    "choose one of its services.") % {"product": product_id})
            if (isinstance(quantity, bool) or not isinstance(quantity, (int, float))
                    or quantity <= 0 or int(quantity) != quantity):
                raise UserError(_("Enter a whole quantity of at least 1 for %(product)s.")
                                % {"product": product.display_name})
            result.append((product, int(quantity)))
        return result

    @api.model
    def _webo_issue_platform_invoices(self, limit=500):
        """The platform's job (every minute, and at settlement for the
        orders it pays): write both sets of books of the orders placed
        since, oldest first. The platform's invoice numbering is gapless and
        shared by every workspace, and a validated bill takes the
        workspace's purchase numbering: done inside each purchase, they made
        the purchases wait for one another, so a purchase only records the
        order. Orders another run holds are skipped; an order whose books
        fail is logged and retried by the next run."""
        self.env.cr.execute("""
            SELECT o.id FROM webo_purchase_order o
              LEFT JOIN account_invoice i ON i.id = o.invoice_id
             WHERE o.bill_id IS NULL OR o.invoice_id IS NULL OR i.state = 'draft'
             ORDER BY o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED
        """, (limit,))
        orders = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        written = 0
        for order in orders:
            try:
                with self.env.cr.savepoint():
                    order._webo_write_books()
                written += 1
            except UserError as error:
                _logger.error("deferred payment: the books of order %s wait: %s", order.name,
                              error.name)
            except Exception:  # pylint: disable=broad-except
                # One order's unforeseen failure does not hold the others back.
                _logger.exception("deferred payment: the books of order %s could not be written",
                                  order.name)
        if orders:
            _logger.info("deferred payment: books written for %d of %d new orders",
                         written, len(orders))
        return written

    def _webo_write_books(self):
        """Both sets of books of the order, once: the platform's invoice to
        the workspace, issued (its number), and in the workspace's books the
        platform's bill, validated, referring to that number."""
        self.ensure_one()
        order = self.sudo().with_context(**QUIET_BOOKS)
        values = {}
        if not order.invoice_id:
            values["invoice_id"] = order._webo_create_platform_invoice().id
        if not order.bill_id:
            values["bill_id"] = order._webo_create_vendor_bill().id
        if values:
            order.write(values)
        if order.invoice_id.state == "draft":
            order.invoice_id.action_invoice_open()
        if order.bill_id.reference != order.invoice_id.number:
            order.bill_id.reference = order.invoice_id.number
        if order.bill_id.state == "draft":
            order.bill_id.action_invoice_open()

    @api.model
    def _webo_journal(self, company, journal_type):
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", journal_type)], limit=1)
        if not journal and journal_type == "purchase":
            raise UserError(_("%(company)s has no active purchase journal: the books of its "
                              "platform purchases wait until there is one.") % {"company": company.name})
        if not journal:
            raise UserError(_("%(company)s has no active sales journal: the books of the platform's "
                              "purchases wait until there is one.") % {"company": company.name})
        return journal

    def _webo_create_platform_invoice(self):
        platform = self._webo_platform()
        client = self.company_id.partner_id.with_context(force_company=platform.id)
        journal = self._webo_journal(platform, "sale")
        lines = []
        for line in self.line_ids:
            product = line.product_id.with_context(force_company=platform.id)
            account = (product.property_account_income_id
                       or product.categ_id.property_account_income_categ_id
                       or journal.default_credit_account_id)
            lines.append((0, 0, {"product_id": product.id, "name": line.name,
                                 "quantity": line.quantity, "price_unit": line.price_unit,
                                 "account_id": account.id}))
        return self.env["account.invoice"].with_context(
            force_company=platform.id, company_id=platform.id).create({
                "type": "out_invoice",
                "company_id": platform.id,
                "partner_id": client.id,
                "journal_id": journal.id,
                "account_id": client.property_account_receivable_id.id,
                "currency_id": self.currency_id.id,
                "origin": self.name,
                "name": _("Order %(name)s (deferred payment)") % {"name": self.name},
                "invoice_line_ids": lines,
            })

    def _webo_create_vendor_bill(self):
        company = self.company_id
        supplier = self._webo_platform().partner_id.with_context(force_company=company.id)
        journal = self._webo_journal(company, "purchase")
        expense = self.env["account.account"].search(
            [("company_id", "=", company.id), ("code", "=like", "604%")], limit=1)
        return self.env["account.invoice"].with_context(
            force_company=company.id, company_id=company.id, type="in_invoice").create({
                "type": "in_invoice",
                "company_id": company.id,
                "partner_id": supplier.id,
                "journal_id": journal.id,
                "account_id": supplier.property_account_payable_id.id,
                "currency_id": self.currency_id.id,
                "origin": self.name,
                "invoice_line_ids": [(0, 0, {
                    "name": line.name, "quantity": line.quantity, "price_unit": line.price_unit,
                    "account_id": (expense or journal.default_debit_account_id).id,
                }) for line in self.line_ids],
            })

    def _webo_settle_from(self, client_payment, client_invoice, amount, stripe_fee_id=False):
        """Pay this workspace's open orders, oldest first, from ``amount``
        of ``client_payment`` (received for ``client_invoice``; taken by
        the Stripe application fee ``stripe_fee_id`` if any); returns the
        settlements made."""
        settlements = self.env["webo.purchase.settlement"].sudo()
        currency = self.mapped("currency_id")[:1] or self._webo_platform().currency_id
        remaining = amount
        for order in self.sudo().sorted(lambda o: (o.date_order, o.id)):
            if float_is_zero(remaining, precision_rounding=currency.rounding):
                break
            part = currency.round(min(remaining, order.amount_due))
            if float_compare(part, 0.0, precision_rounding=currency.rounding) <= 0:
                continue
            settlements |= settlements.create({
                "order_id": order.id,
                "client_payment_id": client_payment.id,
                "client_invoice_id": client_invoice.id,
                "amount": part,
                "stripe_fee_id": stripe_fee_id or False,
            })._webo_pay()
            remaining = currency.round(remaining - part)
        settlements.mapped("order_id")._webo_update_state()
        return settlements

    def _webo_update_state(self):
        for order in self:
            paid = float_is_zero(order.amount_due, precision_rounding=order.currency_id.rounding)
            order.state = "settled" if paid else "confirmed"

    def _webo_notify_settled(self, settlements):
        """Tell the workspace's designers what their client's payment paid."""
        self.ensure_one()
        designers = self.company_id._webo_designers()
        # Signed by the platform, which the designer owes.
        platform = self._webo_platform().partner_id
        signature = {"author_id": platform.id}
        if platform.email:
            signature["email_from"] = platform.email_formatted
        for local, partners in designers._webo_by_language(self):
            local.message_post(
                subject=local._webo_settled_subject(),
                body=local._webo_settled_body(settlements), message_type="notification",
                subtype="mail.mt_comment", partner_ids=partners.ids, **signature)

    def _webo_settled_subject(self):
        return _("Purchase %(name)s paid from your client's payment") % {"name": self.name}

    def _webo_settled_body(self, settlements):
        currency = self.currency_id
        values = {
            "amount": formatLang(self.env, sum(settlements.mapped("amount")), currency_obj=currency),
            "name": self.name,
            "invoice": settlements[:1].client_invoice_id.number,
            "due": formatLang(self.env, self.amount_due, currency_obj=currency),
        }
        if self.state == "settled":
            return _("%(amount)s of the payment received for %(invoice)s paid your purchase "
                     "%(name)s: it is fully paid.") % values
        return _("%(amount)s of the payment received for %(invoice)s paid part of your purchase "
                 "%(name)s; %(due)s remain to be paid from your next client payments.") % values
