"""What the connected account is given: the terms' acceptance recorded at
the opening, each step-2 document where Stripe's reference puts it, and no
call to Stripe where the workspace has no account there."""
import calendar

from odoo import fields
from odoo.exceptions import UserError

from .common_opening import OpeningCase, b64, sample_pdf


class TestStripeAccount(OpeningCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service = cls._open_service(cls.designer_a).sudo()
        parameters = cls.env["ir.config_parameter"]
        parameters.set_param("webo_sale.stripe_secret_key", "sk_test_odoo")
        # Nothing answers there: any call to Stripe fails.
        parameters.set_param("webo_sale.stripe_api_base", "http://127.0.0.1:9")

    def test_the_terms_acceptance_goes_with_the_account_when_recorded(self):
        service = self.service
        iban = service.bank_account_id.sanitized_acc_number
        # Opened without a browser (no request): none recorded, none sent.
        self.assertFalse(service.stripe_tos_ip)
        self.assertNotIn("tos_acceptance", service._webo_stripe_account_params(iban, self.designer_a))
        service.write({"stripe_tos_ip": "203.0.113.7", "stripe_tos_user_agent": "Mozilla/5.0 Test"})
        tos = service._webo_stripe_account_params(iban, self.designer_a)["tos_acceptance"]
        opened = calendar.timegm(fields.Datetime.from_string(service.date_open).timetuple())
        self.assertEqual(tos, {"date": opened, "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 Test"})

    def test_each_document_goes_where_the_reference_puts_it(self):
        files = {"identity": "file_id", "address": "file_ad", "registration": "file_re", "bank": "file_ba"}
        params = self.service._webo_stripe_document_params(files, individual=True)
        self.assertEqual(params, {
            "individual": {"verification": {"document": {"front": "file_id"},
                                            "additional_document": {"front": "file_ad"}}},
            "documents": {"bank_account_ownership_verification": {"files": ["file_ba"]},
                          "proof_of_registration": {"files": ["file_re"]}}})
        # A company: the identity document goes on its representative (a
        # person of the account), not on the account.
        params = self.service._webo_stripe_document_params(files, individual=False)
        self.assertEqual(params, {
            "company": {"verification": {"document": {"front": "file_re"}}},
            "documents": {"bank_account_ownership_verification": {"files": ["file_ba"]},
                          "proof_of_address": {"files": ["file_ad"]}}})

    def test_a_new_iban_of_a_workspace_without_account_calls_no_one(self):
        # No connected account: the validation applies the IBAN here only
        # (Stripe, unreachable here, would refuse it otherwise).
        self.assertFalse(self.service.stripe_account_id)
        self.service._webo_stripe_replace_bank("FR1420041010050500013M02606")

    def test_a_replaced_document_waits_for_stripe_to_take_it(self):
        """With a connected account, the new file goes to Stripe too: when
        Stripe cannot be reached, the replacement is refused, nothing written."""
        document = self.service.document_ids.filtered(lambda d: d.kind == "registration")
        before = (document.filename, document.state)
        self.service.stripe_account_id = "acct_WORKSPACEA"
        with self.assertRaises(UserError) as refused:
            with self.env.cr.savepoint():
                document.sudo(self.designer_a).with_context(lang="fr_FR")._webo_replace(
                    b64(sample_pdf()), "kbis-nouveau.pdf")
        self.assertIn("injoignable", refused.exception.name)
        document.invalidate_cache()
        self.assertEqual((document.filename, document.state), before)
        # Without an account there, only the books change.
        self.service.stripe_account_id = False
        document.sudo(self.designer_a)._webo_replace(b64(sample_pdf()), "kbis-nouveau.pdf")
        self.assertEqual((document.filename, document.state), ("kbis-nouveau.pdf", "submitted"))
