from contextlib import contextmanager

from odoo import _, api, fields, models
from odoo.addons.webo_sale.models.webo_api import public_method
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare, float_round
from odoo.tools.misc import formatLang

# The platform operator's defaults (system parameters), in euros: the
# seed's "en-cours d'achat" of 150 EUR, 300 EUR once an IBAN is registered.
PARAM_CEILING = "webo_purchase_credit.ceiling"
PARAM_CEILING_IBAN = "webo_purchase_credit.ceiling_with_iban"
DEFAULT_CEILING = 150.0
DEFAULT_CEILING_IBAN = 300.0
# The first key of the advisory locks that give a workspace's purchases
# their turn (the second is the sales service's id).
CREDIT_LOCK_SPACE = 5_317_001


class WeboSaleService(models.Model):
    _inherit = "webo.sale.service"

    purchase_ceiling_override = fields.Monetary(
        string="Purchase Credit Ceiling (override)",
        help="A ceiling of this workspace's own, set by the platform operator; "
             "empty: the platform's ceiling (150 EUR, 300 EUR with an IBAN).")
    purchase_blocked = fields.Boolean(
        string="Deferred Payment Blocked",
        help="The platform operator stopped deferred payment for this workspace: "
             "its open purchases are still settled, no new one is accepted.")
    credit_oldest_date = fields.Date(
        compute="_compute_credit_oldest_date", string="Oldest Open Purchase",
        help="The date of the oldest deferred purchase not fully paid yet.")
    purchase_order_ids = fields.One2many(
        "webo.purchase.order", "service_id", string="Purchase Orders", readonly=True)
    purchase_settlement_ids = fields.One2many(
        "webo.purchase.settlement", compute="_compute_purchase_settlement_ids",
        string="Deducted from Your Receipts",
        help="The latest amounts taken from your clients' payments to pay your deferred purchases.")

    def _compute_credit_oldest_date(self):
        oldest = self._webo_oldest_open_purchase()
        for service in self:
            service.credit_oldest_date = oldest.get(service.company_id.id)

    def _compute_purchase_settlement_ids(self):
        settlements = self.env["webo.purchase.settlement"]
        for service in self:
            service.purchase_settlement_ids = settlements.search(
                [("company_id", "=", service.company_id.id)], order="id desc", limit=10)

    @api.constrains("purchase_ceiling_override")
    def _check_purchase_ceiling_override(self):
        for service in self:
            if float_compare(service.purchase_ceiling_override, 0.0, precision_digits=2) < 0:
                raise ValidationError(_("A purchase credit ceiling cannot be negative: enter a positive "
                                  "amount, or leave it empty for the platform's ceiling."))

    # Public API

    @api.model
    @public_method
    def webo_purchase_credit(self):
        """The purchase credit of the user's workspace (XML-RPC): ceiling,
        used, available, whether deferred payment is offered."""
        service = self._webo_for_company(self.env.user.company_id)
        credit = service.sudo()._webo_credit()
        return {"ceiling": credit["ceiling"], "used": credit["used"], "available": credit["available"],
                "blocked": credit["blocked"], "state": credit["state"],
                "currency": self.env["res.currency"].browse(credit["currency_id"]).name}

    # Business methods

    def _webo_purchase_outstanding(self):
        """Used: what the workspace owes the platform on its open purchases
        (its open bills from the platform, and the orders whose books the
        platform has not written yet); ceiling: the workspace's own, else
        the platform's (a higher one once an IBAN is registered)."""
        credit = self._webo_credit()
        return {key: credit[key] for key in ("used", "ceiling", "available")}

    def _webo_credit(self):
        """The purchase credit and what decides whether the workspace may
        use it, in one query (every purchase reads it while its turn is
        held): ``state``, ``blocked``, ``ceiling``, ``used``, ``available``,
        ``currency_id``, ``rounding``."""
        self.ensure_one()
        self.env.cr.execute("""
            SELECT s.state, s.purchase_blocked, s.purchase_ceiling_override,
                   s.bank_account_id IS NOT NULL, company.currency_id, currency.rounding,
                   (SELECT COALESCE(SUM(residual_company_signed), 0)
                      FROM account_invoice
                     WHERE company_id = s.company_id AND type = 'in_invoice' AND state = 'open'
                       AND commercial_partner_id = (SELECT partner_id FROM res_company
                                                     WHERE id = %(platform)s))
                 + (SELECT COALESCE(SUM(amount_due), 0)
                      FROM webo_purchase_order
                     WHERE company_id = s.company_id AND state = 'confirmed' AND bill_id IS NULL)
              FROM webo_sale_service s
              JOIN res_company company ON company.id = s.company_id
              JOIN res_currency currency ON currency.id = company.currency_id
             WHERE s.id = %(service)s
        """, {"service": self.id, "platform": self.env.ref("base.main_company").id})
        state, blocked, override, has_iban, currency_id, rounding, used = self.env.cr.fetchone()
        ceiling = self._webo_purchase_ceiling(override, has_iban)
        rounding = rounding or 0.01
        return {
            "state": state, "blocked": bool(blocked), "ceiling": ceiling,
            "used": float_round(used, precision_rounding=rounding),
            "available": float_round(max(ceiling - used, 0.0), precision_rounding=rounding),
            "currency_id": currency_id, "rounding": rounding,
        }

    @api.model
    def _webo_purchase_ceiling(self, override, has_iban):
        """The workspace's own ceiling, else the platform's."""
        if override:
            return override
        params = self.env["ir.config_parameter"].sudo()
        if has_iban:
            return float(params.get_param(PARAM_CEILING_IBAN, DEFAULT_CEILING_IBAN))
        return float(params.get_param(PARAM_CEILING, DEFAULT_CEILING))

    def _webo_oldest_open_purchase(self):
        """{company id: date of its oldest deferred order still to pay}."""
        if not self.ids:
            return {}
        self.env.cr.execute("""
            SELECT company_id, MIN(date_order)::date FROM webo_purchase_order
             WHERE state = 'confirmed' AND company_id IN %s
             GROUP BY company_id
        """, (tuple(self.mapped("company_id").ids),))
        return dict(self.env.cr.fetchall())

    @contextmanager
    def _webo_credit_turn(self):
        """Serialize the deferred purchases of this workspace, each seeing
        the one before; the purchase is made inside the ``with``. Odoo's
        transactions are REPEATABLE READ: a purchase waiting for a lock
        would go on with a snapshot taken before the other committed, and
        miss its order. So, when the request has written nothing yet (an
        XML-RPC call, the checkout's button), it waits for its turn on a
        connection of its own, then starts its transaction again: its
        snapshot is taken after the purchase before it committed, and the
        turn passes on once this one commits or fails. Otherwise (something
        already written in the transaction), writing the row makes
        PostgreSQL refuse a stale purchase (serialization failure), which
        Odoo's RPC layer retries with a fresh snapshot."""
        self.ensure_one()
        cr = self.env.cr
        cr.execute("SELECT txid_current_if_assigned() IS NULL")
        turn = self.env.registry.cursor() if cr.fetchone()[0] else None

        def release():
            if turn is not None and not turn.closed:
                turn.close()

        try:
            if turn is not None:
                turn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (CREDIT_LOCK_SPACE, self.id))
                cr.rollback()
                self.env.clear()
            cr.execute(
                "UPDATE webo_sale_service SET write_date = (now() at time zone 'UTC') WHERE id = %s",
                (self.id,))
            yield
        except BaseException:
            release()
            raise
        if turn is not None:
            cr.after("commit", release)
            cr.after("rollback", release)

    def _webo_check_credit(self, amount):
        """Refuse a deferred purchase of ``amount`` that the workspace may
        not make: service not open, blocked, or above the available credit."""
        self.ensure_one()
        credit = self._webo_credit()
        if credit["state"] != "open":
            raise UserError(_(
                "Deferred payment is offered once your sales service is open: open it from "
                "Business Management > Sales (\"Open my sales service\")."))
        if credit["blocked"]:
            raise UserError(_(
                "Deferred payment is suspended for your workspace by the platform: "
                "contact webo-facto to restore it."))
        if float_compare(amount, credit["available"], precision_rounding=credit["rounding"]) > 0:
            currency = self.env["res.currency"].browse(credit["currency_id"])
            raise UserError(_(
                "This order (%(amount)s) is more than your available purchase credit, which "
                "is %(available)s: remove items, or wait until your clients' payments settle "
                "your open purchases.") % {
                    "amount": formatLang(self.env, amount, currency_obj=currency),
                    "available": formatLang(self.env, credit["available"], currency_obj=currency)})
        return credit
