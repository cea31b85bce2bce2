from odoo.exceptions import AccessError, ValidationError

from .common import WeboWorkspaceCase


class TestWorkspaceSeparation(WeboWorkspaceCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice_a = cls._create_invoice(cls.workspace_a, cls.client_a)
        cls.invoice_b = cls._create_invoice(cls.workspace_b, cls.client_b)

    def test_designer_lists_only_their_clients(self):
        partners = self.env["res.partner"].sudo(self.designer_a).search([])
        self.assertIn(self.client_a, partners)
        self.assertNotIn(self.client_b, partners)
        self.assertNotIn(self.workspace_b.partner_id, partners)
        self.assertNotIn(self.designer_b.partner_id, partners)

    def test_designer_cannot_read_another_workspace_client(self):
        with self.assertRaises(AccessError):
            self.client_b.sudo(self.designer_a).read(["name"])

    def test_designer_cannot_write_another_workspace_client(self):
        with self.assertRaises(AccessError):
            self.client_b.sudo(self.designer_a).write({"name": "Piraté"})
        self.assertEqual(self.client_b.name, "Client de B")

    def test_designer_cannot_see_the_platform_partners(self):
        platform_partner = self.env.ref("base.main_company").partner_id
        with self.assertRaises(AccessError):
            platform_partner.sudo(self.designer_a).read(["name"])

    def test_designer_lists_only_their_invoices(self):
        invoices = self.env["account.invoice"].sudo(self.designer_a).search([])
        self.assertIn(self.invoice_a, invoices)
        self.assertNotIn(self.invoice_b, invoices)

    def test_designer_cannot_read_or_write_another_workspace_invoice(self):
        with self.assertRaises(AccessError):
            self.invoice_b.sudo(self.designer_a).read(["amount_total"])
        with self.assertRaises(AccessError):
            self.invoice_b.sudo(self.designer_a).write({"name": "Piraté"})
        self.assertFalse(self.invoice_b.name)

    def test_designer_cannot_validate_another_workspace_invoice(self):
        with self.assertRaises(AccessError):
            self.invoice_b.sudo(self.designer_a).action_invoice_open()
        self.assertEqual(self.invoice_b.state, "draft")

    def test_designer_lists_only_their_journals_and_entries(self):
        journals = self.env["account.journal"].sudo(self.designer_a).search([])
        self.assertTrue(journals)
        self.assertEqual(journals.mapped("company_id"), self.workspace_a)
        self.invoice_b.action_invoice_open()
        moves = self.env["account.move"].sudo(self.designer_a).search([])
        self.assertNotIn(self.invoice_b.move_id, moves)
        lines = self.env["account.move.line"].sudo(self.designer_a).search([])
        self.assertFalse(lines & self.invoice_b.move_id.line_ids)

    def test_designer_cannot_switch_to_another_workspace(self):
        # Odoo drops a company the user is not allowed in from their own
        # preferences; an administrator setting it is refused.
        self.designer_a.sudo(self.designer_a).write({"company_id": self.workspace_b.id})
        self.designer_a.invalidate_cache()
        self.assertEqual(self.designer_a.company_id, self.workspace_a)
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.designer_a.write({"company_id": self.workspace_b.id})
        self.designer_a.invalidate_cache()
        self.assertEqual(self.designer_a.company_id, self.workspace_a)
        with self.assertRaises(AccessError):
            self.invoice_b.sudo(self.designer_a).read(["amount_total"])
