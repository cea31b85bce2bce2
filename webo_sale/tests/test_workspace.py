from .common import WeboWorkspaceCase


class TestWorkspace(WeboWorkspaceCase):

    def test_workspace_gets_french_chart_in_euros(self):
        company = self.workspace_a
        self.assertEqual(company.chart_template_id,
                         self.env.ref("l10n_fr.l10n_fr_pcg_chart_template"))
        self.assertEqual(company.currency_id, self.env.ref("base.EUR"))
        receivable = self.env["account.account"].search(
            [("company_id", "=", company.id), ("code", "=", "411100")])
        self.assertEqual(len(receivable), 1, "the PCG customer account 411100 exists")

    def test_workspace_has_its_own_journals(self):
        journals = self.env["account.journal"].search([("company_id", "=", self.workspace_a.id)])
        self.assertTrue({"sale", "purchase", "bank", "cash"} <= set(journals.mapped("type")))
        others = self.env["account.journal"].search([("company_id", "=", self.workspace_b.id)])
        self.assertFalse(journals & others)

    def test_installing_accounting_twice_changes_nothing(self):
        accounts_before = self.env["account.account"].search_count(
            [("company_id", "=", self.workspace_a.id)])
        self.workspace_a._webo_install_accounting()
        self.assertEqual(accounts_before, self.env["account.account"].search_count(
            [("company_id", "=", self.workspace_a.id)]))

    def test_designer_client_belongs_to_their_workspace(self):
        client = self.env["res.partner"].sudo(self.designer_a).create({"name": "Nouveau client"})
        self.assertEqual(client.company_id, self.workspace_a)

    def test_designer_invoices_in_their_workspace(self):
        invoice = self._create_invoice(self.workspace_a, self.client_a)
        invoice.sudo(self.designer_a).action_invoice_open()
        self.assertEqual(invoice.state, "open")
        self.assertEqual(invoice.journal_id.company_id, self.workspace_a)

    def test_designer_is_not_one_of_their_own_clients(self):
        self.assertFalse(self.designer_a.partner_id.customer)
        clients = self.env["res.partner"].sudo(self.designer_a).search(
            [("customer", "=", True), ("parent_id", "=", False)])
        self.assertEqual(clients, self.client_a)
