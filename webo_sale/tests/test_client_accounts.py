from odoo.exceptions import ValidationError

from .common import WeboWorkspaceCase


class TestClientAccounts(WeboWorkspaceCase):

    def _create_as_designer(self, **values):
        return self.env["res.partner"].sudo(self.designer_a).create(dict(
            {"name": "Fleuriste Les Lilas", "is_company": True, "customer": True}, **values))

    def test_client_with_valid_identifiers_and_billing_contact(self):
        client = self._create_as_designer(
            vat="FR82131860918", siret="131 860 918 00013",
            child_ids=[(0, 0, {"type": "invoice", "name": "Compta", "email": "compta@lilas.fr"})])
        self.assertEqual(client.siret, "13186091800013", "spaces are removed")
        self.assertEqual(client._webo_billing_contact().email, "compta@lilas.fr")
        self.assertEqual(client.company_id, self.workspace_a)

    def test_identifiers_are_optional(self):
        client = self._create_as_designer(email="contact@lilas.fr")
        self.assertEqual(client._webo_billing_contact(), client)

    def test_invalid_siret_is_refused_and_nothing_is_written(self):
        with self.assertRaises(ValidationError) as error, self.env.cr.savepoint():
            self._create_as_designer(siret="13186091800014")
        self.assertIn("SIRET", str(error.exception))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Fleuriste Les Lilas")]))

    def test_invalid_vat_is_refused_and_nothing_is_written(self):
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self._create_as_designer(vat="FR00131860918")
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Fleuriste Les Lilas")]))

    def test_duplicate_siret_in_the_workspace_is_warned(self):
        self.client_a.siret = "13186091800013"
        form = self.env["res.partner"].sudo(self.designer_a).new(
            {"name": "Doublon", "siret": "13186091800013"})
        warning = form._onchange_webo_duplicate()
        self.assertIn(self.client_a.name, warning["warning"]["message"])

    def test_same_siret_in_another_workspace_is_not_a_duplicate(self):
        self.client_b.siret = "13186091800013"
        form = self.env["res.partner"].sudo(self.designer_a).new({"name": "Autre", "siret": "13186091800013"})
        self.assertFalse(form._onchange_webo_duplicate())

    def test_invoice_figures_come_from_sent_invoices(self):
        sent = self._create_invoice(self.workspace_a, self.client_a, amount=100.0)
        sent.action_invoice_open()
        self._create_invoice(self.workspace_a, self.client_a, amount=999.0)  # draft: not counted
        client = self.client_a.sudo(self.designer_a)
        self.assertEqual(client.webo_invoiced_total, 100.0)
        self.assertEqual(client.webo_pending_count, 1)
        self.assertEqual(client.webo_pending_amount, 100.0)
        self.assertEqual(client.webo_invoice_ids.filtered(lambda i: i.state == "open"), sent)
