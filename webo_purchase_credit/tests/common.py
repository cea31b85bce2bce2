from datetime import date, timedelta

from odoo.addons.webo_sale.tests.common import open_invoice
from odoo.addons.webo_sale.tests.common_opening import OpeningCase


class PurchaseCase(OpeningCase):
    """Two workspaces; A's sales service is open (IBAN: 300 EUR of
    credit), B's is not. The platform sells three services."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_a = cls._open_service(cls.designer_a).sudo()
        cls.service_b = cls.env["webo.sale.service"]._webo_for_company(cls.workspace_b)
        cls.platform = cls.env.ref("base.main_company")
        products = cls.env["product.product"]
        cls.hosting = products.create({
            "name": "Hébergement test", "type": "service", "list_price": 15.0,
            "company_id": cls.platform.id})
        cls.domain_name = products.create({
            "name": "Nom de domaine test", "type": "service", "list_price": 12.0,
            "company_id": cls.platform.id})
        cls.big = products.create({
            "name": "Pack agence test", "type": "service", "list_price": 100.0,
            "company_id": cls.platform.id})
        cls.client_a.write({"email": "client-a@example.org", "lang": "fr_FR"})

    def _buy(self, designer, lines, **kwargs):
        kwargs.setdefault("accept_terms", True)
        orders = self.env["webo.purchase.order"].sudo(designer).with_context(lang="fr_FR")
        return orders.browse(orders.webo_buy(
            [{"product_id": getattr(product, "id", product), "quantity": quantity}
             for product, quantity in lines],
            **kwargs)).sudo()

    def _credit(self, designer):
        return self.env["webo.sale.service"].sudo(designer).webo_purchase_credit()

    def _client_invoice(self, amount):
        today = date.today()
        return open_invoice(self.env, self.workspace_a, self.client_a,
                            [("Création du site", 1, amount, self.env["account.tax"])],
                            date_invoice=str(today), date_due=str(today + timedelta(days=30)))

    def _client_pays(self, amount, invoice=None):
        """A client payment of ``amount`` into A's payment-receiving account."""
        invoice = invoice or self._client_invoice(amount)
        payment_id = invoice.sudo(self.designer_a).webo_register_payment(amount)
        return self.env["account.payment"].browse(payment_id)
