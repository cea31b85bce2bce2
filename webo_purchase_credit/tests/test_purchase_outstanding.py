from odoo.addons.webo_sale.tests.common_opening import OpeningCase


class TestPurchaseOutstanding(OpeningCase):
    """The en-cours d'achat this addon gives the Synthèse."""

    def _platform_bill(self, company, amount):
        platform = self.env.ref("base.main_company").partner_id
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1)
        account = self.env["account.account"].search(
            [("company_id", "=", company.id), ("code", "=like", "604%")], limit=1)
        bill = self.env["account.invoice"].create({
            "partner_id": platform.id,
            "company_id": company.id,
            "type": "in_invoice",
            "journal_id": journal.id,
            "account_id": platform.with_context(
                force_company=company.id).property_account_payable_id.id,
            "invoice_line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1,
                                         "price_unit": amount, "account_id": account.id})],
        })
        bill.action_invoice_open()
        return bill

    def test_ceiling_is_150_then_300_with_an_iban(self):
        services = self.env["webo.sale.service"].sudo(self.designer_a)
        service = services._webo_for_company(self.workspace_a)
        figures = service.webo_synthesis()
        self.assertEqual((figures["purchase_used"], figures["purchase_ceiling"],
                          figures["purchase_available"]), (0.0, 150.0, 150.0))
        self._open_service(self.designer_a)
        figures = service.webo_synthesis()
        self.assertEqual(figures["purchase_ceiling"], 300.0)

    def test_open_platform_purchases_are_used(self):
        service = self._open_service(self.designer_a).sudo(self.designer_a)
        self._platform_bill(self.workspace_a, 40.0)
        self._platform_bill(self.workspace_b, 70.0)
        figures = service.webo_synthesis()
        self.assertAlmostEqual(figures["purchase_used"], 40.0, places=2)
        self.assertAlmostEqual(figures["purchase_available"], 260.0, places=2)
        self.assertAlmostEqual(service.purchase_available, 260.0, places=2)
