from odoo.addons.webo_sale.tests.common import WeboWorkspaceCase


class TestPurchaseMenus(WeboWorkspaceCase):

    def test_designer_sees_purchase_orders_in_french(self):
        menus = self.env["ir.ui.menu"].sudo(self.designer_a).with_context(lang="fr_FR")
        purchase = menus.browse(self.env.ref("webo_purchase_credit.menu_purchase").id)
        self.assertEqual(purchase.name, "Achats")
        self.assertEqual(purchase.parent_id.name, "Gestion commerciale")
        children = menus.search([("parent_id", "=", purchase.id)])
        self.assertEqual(children.mapped("name"), ["Commandes", "Nouvelle commande"])
        self.assertEqual(children[0].action.res_model, "webo.purchase.order")

    def test_purchase_credits_menu_is_the_operators(self):
        menus = self.env["ir.ui.menu"].sudo(self.designer_a)
        credits_menu = self.env.ref("webo_purchase_credit.menu_platform_credits")
        self.assertNotIn(credits_menu, menus.search([("id", "=", credits_menu.id)]))
        operator = self.env.ref("base.user_root")
        self.assertEqual(self.env["ir.ui.menu"].sudo(operator).with_context(lang="fr_FR").browse(
            credits_menu.id).name, "Crédits d'achat")
