from .common import WeboWorkspaceCase


class TestMenus(WeboWorkspaceCase):

    def _visible_children(self, menu, user):
        menus = self.env["ir.ui.menu"].sudo(user).with_context(lang="fr_FR")
        visible = menus.search([("parent_id", "=", menu.id)])
        return visible.mapped("name")

    def test_designer_sees_the_sales_menu_in_french(self):
        root = self.env.ref("webo_sale.menu_root")
        self.assertEqual(root.sudo(self.designer_a).with_context(lang="fr_FR").name,
                         "Gestion commerciale")
        self.assertIn("Vente", self._visible_children(root, self.designer_a))
        self.assertEqual(
            self._visible_children(self.env.ref("webo_sale.menu_sale"), self.designer_a),
            ["Synthèse", "Factures", "Comptes Clients", "Relevés bancaires", "Abonnements", "Configuration"])
        self.assertEqual(
            self._visible_children(self.env.ref("webo_sale.menu_sale_configuration"), self.designer_a),
            ["Relances", "Contrôle d'inaltérabilité"])
        self.assertEqual(
            self._visible_children(self.env.ref("webo_sale.menu_sale_bank"), self.designer_a),
            ["Relevés", "Virements à confirmer", "Importer"])

    def test_plain_employee_does_not_see_the_menu(self):
        employee = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Employé", "login": "employe",
            "groups_id": [(6, 0, self.env.ref("base.group_user").ids)],
        })
        roots = self.env["ir.ui.menu"].sudo(employee).search([("parent_id", "=", False)])
        self.assertNotIn(self.env.ref("webo_sale.menu_root"), roots)
