from odoo.exceptions import AccessError

from .common import WeboWorkspaceCase


class TestIsolationRules(WeboWorkspaceCase):
    """Odoo's own records that carry a workspace's data: the designer of the
    workspace, the designer of another and the platform operator (a user
    of the operator group, not the superuser)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.operator = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opérateur", "login": "operator_isolation", "email": "operator@example.com",
            "groups_id": [(6, 0, cls.env.ref("webo_sale.group_platform_operator").ids)],
        })
        cls.invoice_a = cls._create_invoice(cls.workspace_a, cls.client_a).sudo(cls.designer_a)
        cls.invoice_a.message_subscribe(partner_ids=cls.client_a.ids)
        cls.mail_a = cls.env["mail.mail"].sudo(cls.designer_a).create({
            "subject": "Facture", "body_html": "<p>Votre facture, lien de paiement secret</p>",
            "model": "account.invoice", "res_id": cls.invoice_a.id,
            "recipient_ids": [(6, 0, cls.client_a.ids)]})
        cls.transfer_a = cls.env["payment.acquirer"].create({
            "name": "Virement A", "provider": "transfer", "company_id": cls.workspace_a.id,
            "post_msg": "<p>IBAN FR76 3000 6000 0112 3456 7890 189</p>"})
        cls.card_a = cls.env["payment.acquirer"].create({
            "name": "Carte A", "provider": "stripe", "company_id": cls.workspace_a.id,
            "stripe_secret_key": "sk_test_secret_a", "stripe_publishable_key": "pk_test_a"})

    def test_queued_email_readable_by_its_author_and_the_operator(self):
        domain = [("id", "=", self.mail_a.id)]
        self.assertEqual(self.env["mail.mail"].sudo(self.designer_a).search(domain), self.mail_a)
        self.assertFalse(self.env["mail.mail"].sudo(self.designer_b).search(domain))
        with self.assertRaises(AccessError):
            self.mail_a.sudo(self.designer_b).read(["body_html"])
        self.assertEqual(self.env["mail.mail"].sudo(self.operator).search(domain), self.mail_a)

    def test_payment_methods_stay_in_their_workspace(self):
        acquirers = self.transfer_a | self.card_a
        domain = [("id", "in", acquirers.ids)]
        self.assertEqual(self.env["payment.acquirer"].sudo(self.designer_a).search(domain), acquirers)
        self.assertFalse(self.env["payment.acquirer"].sudo(self.designer_b).search(domain))
        with self.assertRaises(AccessError):
            self.transfer_a.sudo(self.designer_b).read(["post_msg"])
        self.assertEqual(self.env["payment.acquirer"].sudo(self.operator).search(domain), acquirers)

    def test_stripe_secret_key_for_the_operator_only(self):
        with self.assertRaises(AccessError):
            self.card_a.sudo(self.designer_a).read(["stripe_secret_key"])
        self.assertNotIn("stripe_secret_key", self.env["payment.acquirer"].sudo(self.designer_a).fields_get())
        self.assertEqual(self.card_a.sudo(self.designer_a).read(["stripe_publishable_key"])[0]
                         ["stripe_publishable_key"], "pk_test_a")
        self.card_a.sudo(self.operator).write({"stripe_secret_key": "sk_test_new"})
        self.assertEqual(self.card_a.sudo(self.operator).stripe_secret_key, "sk_test_new")

    def test_followers_are_read_with_the_record_they_follow(self):
        domain = [("res_model", "=", "account.invoice"), ("res_id", "=", self.invoice_a.id)]
        followers = self.env["mail.followers"].search(domain)
        self.assertIn(self.client_a, followers.mapped("partner_id"))
        self.assertEqual(self.env["mail.followers"].sudo(self.designer_a).search(domain), followers)
        self.assertFalse(self.env["mail.followers"].sudo(self.designer_b).search(domain))
        followers_b = self.env["mail.followers"].sudo(self.designer_b)
        self.assertFalse(followers_b.read_group(domain, ["partner_id"], ["partner_id"]))
        with self.assertRaises(AccessError):
            followers.sudo(self.designer_b).read(["partner_id"])
        self.assertEqual(self.env["mail.followers"].sudo(self.operator).search(domain), followers)
        self.assertEqual(followers.sudo(self.designer_a).mapped("webo_reader_id"), self.designer_a)

    def test_messages_are_grouped_when_readable_only(self):
        self.invoice_a.message_post(body="Note interne de A", message_type="comment")
        domain = [("model", "=", "account.invoice"), ("res_id", "=", self.invoice_a.id)]
        messages = self.env["mail.message"]
        self.assertTrue(messages.sudo(self.designer_a).read_group(domain, ["author_id"], ["author_id"]))
        self.assertFalse(messages.sudo(self.designer_b).read_group(domain, ["author_id"], ["author_id"]))

    def test_attachments_are_grouped_when_readable_only(self):
        self.env["ir.attachment"].create({
            "name": "piece.txt", "res_model": "account.invoice", "res_id": self.invoice_a.id})
        domain = [("res_model", "=", "account.invoice"), ("res_id", "=", self.invoice_a.id)]
        attachments = self.env["ir.attachment"]
        self.assertTrue(attachments.sudo(self.designer_a).read_group(domain, ["company_id"], ["company_id"]))
        self.assertFalse(attachments.sudo(self.designer_b).read_group(domain, ["company_id"], ["company_id"]))

    def test_translations_of_another_workspace_records(self):
        level = self.env["webo.reminder.level"].sudo(self.designer_a).search([], limit=1)
        self.env["ir.translation"].create({
            "name": "webo.reminder.level,body", "type": "model", "lang": "fr_FR", "res_id": level.id,
            "src": level.body, "value": "Texte de A", "state": "translated"})
        domain = [("name", "=", "webo.reminder.level,body"), ("res_id", "=", level.id)]
        self.assertTrue(self.env["ir.translation"].sudo(self.designer_a).search(domain))
        self.assertFalse(self.env["ir.translation"].sudo(self.designer_b).search(domain))
        # The terms of the code and views stay readable to everyone.
        self.assertTrue(self.env["ir.translation"].sudo(self.designer_b).search(
            [("type", "=", "code"), ("module", "=", "webo_sale")], limit=1))

    def test_accounting_records_of_another_workspace(self):
        for model, company_field in (("ir.sequence", "company_id"), ("account.invoice.tax", "company_id"),
                                     ("account.partial.reconcile", "company_id"),
                                     ("account.fiscal.position.tax", "position_id.company_id")):
            domain = [(company_field, "=", self.workspace_a.id)]
            if model in ("ir.sequence", "account.fiscal.position.tax"):
                self.assertTrue(self.env[model].search(domain), model)
            self.assertFalse(self.env[model].sudo(self.designer_b).search(domain), model)
        self.assertTrue(self.env["ir.sequence"].sudo(self.designer_a).search(
            [("company_id", "=", self.workspace_a.id)]))

    def test_the_channel_of_all_employees_is_the_platform_s(self):
        general = self.env.ref("mail.channel_all_employees")
        self.assertNotIn(self.designer_a.partner_id, general.channel_partner_ids)
        self.assertFalse(self.env["mail.channel"].sudo(self.designer_a).search([("id", "=", general.id)]))
        self.assertTrue(self.env["mail.channel"].sudo(self.operator).search([("id", "=", general.id)]))
        self.assertIn(self.operator.partner_id, general.channel_partner_ids)
