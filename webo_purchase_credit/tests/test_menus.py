from odoo.addons.webo_sale.tests.common import WeboWorkspaceCase
from odoo.tools.safe_eval import safe_eval


class TestPurchaseMenus(WeboWorkspaceCase):

    def test_designer_sees_purchase_orders_in_french(self):
        menus = self.env["ir.ui.menu"].sudo(self.designer_a).with_context(lang="fr_FR")
        purchase = menus.browse(self.env.ref("webo_purchase_credit.menu_purchase").id)
        self.assertEqual(purchase.name, "Achats")
        self.assertEqual(purchase.parent_id.name, "Gestion commerciale")
        orders = menus.search([("parent_id", "=", purchase.id)])
        self.assertEqual(orders.mapped("name"), ["Commandes"])

    def test_orders_list_only_the_workspace_purchases(self):
        action = self.env.ref("webo_purchase_credit.account_invoice_action_platform_orders")
        bill_b = self.env["account.invoice"].create({
            "partner_id": self.workspace_a.partner_id.id,
            "company_id": self.workspace_b.id,
            "type": "in_invoice",
            "journal_id": self.env["account.journal"].search(
                [("company_id", "=", self.workspace_b.id), ("type", "=", "purchase")], limit=1).id,
            "account_id": self.env["account.account"].search(
                [("company_id", "=", self.workspace_b.id), ("code", "=", "401100")], limit=1).id,
        })
        domain = safe_eval(action.domain)
        seen_by_a = self.env["account.invoice"].sudo(self.designer_a).search(domain)
        self.assertNotIn(bill_b, seen_by_a)
        seen_by_b = self.env["account.invoice"].sudo(self.designer_b).search(domain)
        self.assertIn(bill_b, seen_by_b)
