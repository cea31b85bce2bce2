from odoo.exceptions import AccessError, UserError, ValidationError

from .common import PurchaseCase


class TestDeferredPurchase(PurchaseCase):
    """Buying platform services with deferred payment, within the credit."""

    def _counts(self):
        return (self.env["webo.purchase.order"].search_count([]),
                self.env["account.invoice"].search_count([]))

    def test_buy_confirms_invoices_both_books_and_uses_the_credit(self):
        order = self._buy(self.designer_a, [(self.hosting, 2), (self.domain_name, 1)])
        self.assertEqual(order.state, "confirmed")
        self.assertAlmostEqual(order.amount_total, 42.0, places=2)
        self.assertTrue(order.name.startswith("CMD/"))
        self.assertEqual(order.acquirer_id.provider, "deferred")
        self.assertEqual(order.acquirer_id.with_context(lang="fr_FR").name, "Paiement différé")
        self.assertEqual(order.user_id, self.designer_a)
        # The order alone uses the credit; the books follow with the
        # platform's job, once.
        self.assertFalse(order.invoice_id or order.bill_id)
        self.assertEqual(self._credit(self.designer_a)["used"], 42.0)
        orders = self.env["webo.purchase.order"]
        self.assertGreaterEqual(orders._webo_issue_platform_invoices(), 1)
        books = order.invoice_id | order.bill_id
        self.assertEqual(orders._webo_issue_platform_invoices(), 0)
        self.assertEqual(order.invoice_id | order.bill_id, books)
        # The platform's books: its invoice to the workspace, issued.
        self.assertEqual(order.invoice_id.company_id, self.platform)
        self.assertEqual(order.invoice_id.type, "out_invoice")
        self.assertEqual(order.invoice_id.state, "open")
        self.assertTrue(order.invoice_id.number)
        self.assertEqual(order.invoice_id.partner_id, self.workspace_a.partner_id)
        self.assertAlmostEqual(order.invoice_id.amount_total, 42.0, places=2)
        # The workspace's books: the platform's bill, validated.
        self.assertEqual(order.bill_id.company_id, self.workspace_a)
        self.assertEqual(order.bill_id.type, "in_invoice")
        self.assertEqual(order.bill_id.state, "open")
        self.assertEqual(order.bill_id.partner_id, self.platform.partner_id)
        self.assertEqual(order.bill_id.reference, order.invoice_id.number)
        credit = self._credit(self.designer_a)
        self.assertEqual((credit["ceiling"], credit["used"], credit["available"]), (300.0, 42.0, 258.0))
        # The Synthèse shows the same en-cours d'achat.
        figures = self.service_a.sudo(self.designer_a).webo_synthesis()
        self.assertEqual((figures["purchase_used"], figures["purchase_available"]), (42.0, 258.0))
        # The order's summary shows the credit too.
        self.assertAlmostEqual(order.sudo(self.designer_a).credit_available, 258.0, places=2)
        # The operator's Crédits d'achat list.
        operator = self.env.ref("base.user_root")
        line = self.env["webo.sale.service"].sudo(operator).search_read(
            [("company_id", "=", self.workspace_a.id)],
            ["purchase_ceiling", "purchase_used", "purchase_available", "credit_oldest_date"])[0]
        self.assertEqual((line["purchase_ceiling"], line["purchase_used"], line["purchase_available"]),
                         (300.0, 42.0, 258.0))
        self.assertEqual(line["credit_oldest_date"], order.date_order[:10])

    def test_order_reads_as_the_orm_computes_it(self):
        """The order is written in two statements: its stored computed
        values are those Odoo's computations give."""
        order = self._buy(self.designer_a, [(self.hosting, 3), (self.domain_name, 1)])
        self.assertEqual(order.create_uid, self.designer_a)
        self.assertTrue(order.terms_accepted)
        self.assertFalse(order.message_follower_ids)
        stored = (order.amount_settled, order.amount_due,
                  [(line.price_subtotal, line.company_id) for line in order.line_ids])
        self.assertEqual(stored, (0.0, 57.0, [(45.0, self.workspace_a), (12.0, self.workspace_a)]))
        lines = order.line_ids
        self.env.add_todo(type(order).amount_due, order)
        self.env.add_todo(type(lines).price_subtotal, lines)
        self.env.add_todo(type(lines).company_id, lines)
        order.recompute()
        self.assertEqual((order.amount_settled, order.amount_due,
                          [(line.price_subtotal, line.company_id) for line in lines]), stored)

    def test_books_that_fail_are_left_for_the_next_run(self):
        """One order whose books cannot be written does not stop the
        others; it is logged and the next run writes it."""
        self.service_b.sudo()._webo_open("FR7630006000011234567890189", "AGRIFRPPXXX")
        first = self._buy(self.designer_a, [(self.hosting, 1)])
        second = self._buy(self.designer_a, [(self.domain_name, 1)])
        other = self._buy(self.designer_b, [(self.hosting, 2)])
        purchases = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_a.id), ("type", "=", "purchase")])
        # The platform's batch, while A has no purchase journal: no bill can
        # be made for A, and the platform's invoice to A is not kept either.
        purchases.write({"active": False})
        logger = "odoo.addons.webo_purchase_credit.models.webo_purchase_order"
        with self.assertLogs(logger, level="ERROR") as logged:
            self.env["webo.purchase.order"]._webo_issue_platform_invoices()
        self.assertEqual(len(logged.output), 2)
        self.assertIn("%s n'a pas de journal d'achats actif" % self.workspace_a.name, logged.output[0])
        self.assertFalse((first | second).mapped("invoice_id") | (first | second).mapped("bill_id"))
        self.assertEqual((other.invoice_id.state, other.bill_id.state), ("open", "open"))
        self.assertEqual(self._credit(self.designer_a)["used"], 27.0)
        purchases.write({"active": True})
        self.assertGreaterEqual(self.env["webo.purchase.order"]._webo_issue_platform_invoices(), 2)
        self.assertEqual((first | second).mapped("bill_id.state"), ["open", "open"])
        self.assertEqual(self._credit(self.designer_a)["used"], 27.0)
        self.assertEqual(self._credit(self.designer_b)["used"], 30.0)

    def test_buy_exactly_the_available_credit(self):
        self._buy(self.designer_a, [(self.big, 2)])
        order = self._buy(self.designer_a, [(self.big, 1)])
        self.assertAlmostEqual(order.amount_total, 100.0, places=2)
        credit = self._credit(self.designer_a)
        self.assertEqual((credit["used"], credit["available"]), (300.0, 0.0))

    def _assert_refused(self, message, designer, lines, **kwargs):
        before = self._counts()
        used = self._credit(designer)["used"] if designer == self.designer_a else None
        with self.env.cr.savepoint(), self.assertRaises(UserError) as refusal:
            self._buy(designer, lines, **kwargs)
        self.assertIn(message, refusal.exception.name)
        self.assertEqual(self._counts(), before, "nothing written")
        if used is not None:
            self.assertEqual(self._credit(designer)["used"], used)
        return refusal.exception.name

    def test_above_the_available_credit_is_refused_with_the_amount_available(self):
        self._buy(self.designer_a, [(self.big, 2)])
        message = self._assert_refused("crédit d'achat disponible", self.designer_a,
                                       [(self.big, 1), (self.domain_name, 1)])
        self.assertIn("112,00", message)
        self.assertIn("100,00", message)

    def test_terms_of_sale_must_be_accepted(self):
        self._assert_refused("conditions générales de vente", self.designer_a, [(self.hosting, 1)],
                             accept_terms=False)

    def test_service_not_open_is_refused(self):
        self._assert_refused("service de vente", self.designer_b, [(self.hosting, 1)])

    def test_blocked_workspace_is_refused(self):
        self.service_a.purchase_blocked = True
        self._assert_refused("suspendu", self.designer_a, [(self.hosting, 1)])

    def test_unknown_or_inactive_product_is_refused(self):
        self._assert_refused("n'est pas (ou plus) vendu", self.designer_a, [(999999, 1)])
        self.hosting.active = False
        self._assert_refused("n'est pas (ou plus) vendu", self.designer_a, [(self.hosting, 1)])

    def test_bad_quantity_and_method_are_refused(self):
        self._assert_refused("quantité", self.designer_a, [(self.domain_name, 0)])
        self._assert_refused("Paiement différé", self.designer_a, [(self.domain_name, 1)],
                             payment_method="card")
        self._assert_refused("au moins un service", self.designer_a, [])

    def test_operator_ceiling_and_override(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("webo_purchase_credit.ceiling_with_iban", "400")
        self.assertEqual(self._credit(self.designer_a)["ceiling"], 400.0)
        self.service_a.purchase_ceiling_override = 50.0
        self.assertEqual(self._credit(self.designer_a)["ceiling"], 50.0)
        self._assert_refused("50,00", self.designer_a, [(self.big, 1)])
        # The designer cannot raise their own ceiling nor lift a block.
        with self.assertRaises(AccessError):
            self.service_a.sudo(self.designer_a).write({"purchase_ceiling_override": 1000.0})
        with self.env.cr.savepoint(), self.assertRaises(ValidationError):
            self.service_a.purchase_ceiling_override = -5.0

    def test_orders_stay_in_their_workspace(self):
        order = self._buy(self.designer_a, [(self.hosting, 1)])
        self.assertEqual(self.env["webo.purchase.order"].sudo(self.designer_b).search([]).ids, [])
        with self.assertRaises(AccessError):
            order.sudo(self.designer_b).read(["name"])
        self.assertEqual(self.env["webo.purchase.order"].sudo(self.designer_a).search([]), order)
        # The platform operator sees every workspace's orders.
        operator = self.env.ref("base.user_root")
        self.assertIn(order, self.env["webo.purchase.order"].sudo(operator).search([]))
        # B's credit is untouched by A's purchase.
        self.assertEqual(self._credit(self.designer_b)["used"], 0.0)

    def test_checkout_wizard_the_seed_steps(self):
        checkouts = self.env["webo.purchase.checkout"].sudo(self.designer_a).with_context(lang="fr_FR")
        checkout = checkouts.create({"line_ids": [(0, 0, {"product_id": self.hosting.id, "quantity": 2})]})
        self.assertAlmostEqual(checkout.amount_total, 30.0, places=2)
        self.assertAlmostEqual(checkout.credit_available, 300.0, places=2)
        self.assertFalse(checkout.deferred_refusal)
        with self.assertRaises(UserError):
            checkout.action_confirm_order()  # no payment method chosen yet
        checkout.payment_method = "deferred"
        with self.assertRaises(UserError):
            checkout.action_confirm_order()  # terms not accepted
        checkout.accept_terms = True
        checkout.action_confirm_order()
        self.assertEqual(checkout.step, "confirm")
        self.assertFalse(self.env["webo.purchase.order"].search([("company_id", "=", self.workspace_a.id)]))
        action = checkout.action_pay()
        order = self.env["webo.purchase.order"].browse(action["res_id"])
        self.assertEqual(order.company_id, self.workspace_a)
        self.assertAlmostEqual(order.amount_total, 30.0, places=2)

    def test_checkout_does_not_offer_deferred_payment_above_the_credit(self):
        checkout = self.env["webo.purchase.checkout"].sudo(self.designer_a).with_context(lang="fr_FR").create(
            {"line_ids": [(0, 0, {"product_id": self.big.id, "quantity": 4})]})
        self.assertIn("300,00", checkout.deferred_refusal)
        closed = self.env["webo.purchase.checkout"].sudo(self.designer_b).with_context(lang="fr_FR").create(
            {"line_ids": [(0, 0, {"product_id": self.hosting.id, "quantity": 1})]})
        self.assertIn("service de vente", closed.deferred_refusal)

    def test_a_repeated_purchase_with_its_idempotency_key_buys_once(self):
        lines = [(self.hosting, 2)]
        order = self._buy(self.designer_a, lines, idempotency_key="achat-42")
        self.assertEqual(order.idempotency_key, "achat-42")
        again = self._buy(self.designer_a, lines, idempotency_key="achat-42")
        self.assertEqual(again, order, "the caller's retry gets the same order")
        self.assertEqual(self._credit(self.designer_a)["used"], order.amount_total, "bought once")
        before = self._counts()
        with self.assertRaisesRegex(UserError, "déjà passé une autre commande"), \
                self.env.cr.savepoint():
            self._buy(self.designer_a, [(self.hosting, 3)], idempotency_key="achat-42")
        for key in ("", "   ", "x" * 201, 42):
            with self.assertRaisesRegex(UserError, "clé d'idempotence"), self.env.cr.savepoint():
                self._buy(self.designer_a, lines, idempotency_key=key)
        self.assertEqual(self._counts(), before, "nothing written")
