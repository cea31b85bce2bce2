from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError

from ..wizards.webo_sale_opening import is_adult
from .common_opening import STEP1, VALID_IBAN, OpeningCase, b64, sample_pdf, step2


class TestOpening(OpeningCase):
    """The workspaces' identifiers are what the opening gives them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.workspace_a | cls.workspace_b).write({"siret": False, "vat": False})

    def _service(self, designer):
        return self.env["webo.sale.service"].sudo()._webo_for_company(designer.company_id)

    def test_sales_menu_shows_the_presentation_until_the_service_is_open(self):
        action = self.env["webo.sale.service"].sudo(self.designer_a).action_open_sales()
        self.assertEqual(action["res_model"], "webo.sale.opening")
        wizard = self.env["webo.sale.opening"].browse(action["res_id"])
        self.assertEqual(wizard.step, "presentation")
        self._open_service(self.designer_a)
        action = self.env["webo.sale.service"].sudo(self.designer_a).action_open_sales()
        self.assertEqual(action["res_model"], "webo.sale.service")
        self.assertEqual(action["res_id"], self._service(self.designer_a).id)
        self.assertEqual(action["target"], "main")

    def test_two_steps_open_the_service_and_its_payment_account(self):
        wizard = self._wizard(self.designer_a, STEP1)
        wizard.action_start()
        self.assertEqual(wizard.step, "company")
        wizard.action_save()
        self.assertEqual(wizard.step, "documents")
        service = wizard.service_id
        self.assertEqual(service.state, "informed")
        company = self.workspace_a
        self.assertEqual(company.name, "Studio Test SARL")
        self.assertEqual(company.siret, "94821993600010")
        self.assertEqual(company.vat, "FR87948219936")
        self.assertEqual(company.webo_legal_form, "sarl")
        self.assertEqual(company.webo_share_capital, 5000.0)
        self.assertEqual(company.company_registry, "RCS Nantes 948 219 936")
        mention = company.with_context(lang="fr_FR")._webo_legal_mention()
        self.assertRegex(mention, r"^SARL au capital de 5\W000,00\W€$", "printed on the invoices")
        partner = self.designer_a.partner_id
        self.assertEqual(partner.name, "Léa Durand")
        self.assertEqual(partner.email, "lea@studio-test.fr")
        self.assertEqual(partner.webo_birth_date, "1988-02-03")
        self.assertEqual(partner.webo_nationality_id, self.env.ref("base.fr"))

        wizard.write(step2())
        action = wizard.action_submit()
        self.assertEqual(action["res_model"], "webo.sale.service")
        self.assertEqual(service.state, "open")
        self.assertEqual(sorted(service.document_ids.mapped("kind")),
                         ["address", "bank", "identity", "registration"])
        self.assertEqual(set(service.document_ids.mapped("state")), {"submitted"})
        by_kind = {document.kind: document for document in service.document_ids}
        self.assertEqual(by_kind["identity"].mimetype, "image/jpeg")
        self.assertEqual(by_kind["bank"].mimetype, "image/png")
        self.assertEqual(by_kind["address"].mimetype, "application/pdf")
        self.assertEqual(by_kind["address"].file_size, len(sample_pdf()))

        journal = service.payment_journal_id
        self.assertEqual(journal.type, "bank")
        self.assertEqual(journal.company_id, company)
        self.assertEqual(journal.name, "Compte de paiement webo", "named in the designer's language")
        self.assertEqual(journal.bank_account_id.sanitized_acc_number, "FR7630006000011234567890189")
        self.assertEqual(journal.bank_account_id.partner_id, company.partner_id)
        self.assertEqual(journal.bank_account_id.bank_bic, "AGRIFRPPXXX")
        acquirers = {a.provider: a for a in service.acquirer_ids}
        self.assertEqual(set(acquirers), {"transfer", "stripe"})
        self.assertTrue(acquirers["transfer"].website_published)
        self.assertEqual(acquirers["transfer"].journal_id, journal)
        self.assertIn("FR76 3000 6000 0112 3456 7890 189",
                      acquirers["transfer"].with_context(lang="fr_FR").post_msg)
        self.assertIn("numéro de la facture",
                      acquirers["transfer"].with_context(lang="fr_FR").post_msg)
        self.assertEqual(acquirers["transfer"].with_context(lang="fr_FR").name, "Virement bancaire")
        self.assertFalse(acquirers["stripe"].website_published, "card payment waits for the keys")
        self.assertEqual(acquirers["stripe"].journal_id, journal)
        invoice = self._create_invoice(company, self.client_a)
        self.assertEqual(invoice._webo_receiving_bank_account(), journal.bank_account_id,
                         "the Factur-X of the workspace's invoices gives this IBAN")

    def test_step1_bad_input_is_refused_and_nothing_written(self):
        cases = [
            ({"siret": "948 219 936 00011"}, "SIRET"),
            ({"siret": "1234"}, "SIRET"),
            ({"vat": "FR00948219936"}, "TVA"),
            ({"vat": "FR85390996031"}, "SIREN"),
            ({"vat": False}, "Numéro de TVA"),
            ({"company_name": False, "email": False}, "Raison sociale"),
            ({"share_capital": 0.0}, "Capital social"),
            ({"rcs_city": False}, "Ville du RCS"),
            ({"zip": "4400"}, "code postal"),
            ({"email": "lea.studio-test.fr"}, "adresse e-mail"),
            ({"birth_date": "2015-01-01"}, "majeur"),
            ({"company_name": "Atelier B"}, "déjà"),
        ]
        name_before = self.workspace_a.name
        for values, expected in cases:
            wizard = self._wizard(self.designer_a, dict(STEP1, **values)).with_context(lang="fr_FR")
            wizard.action_start()
            with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
                wizard.action_save()
            self.assertIn(expected, str(error.exception), values)
            self.assertEqual(self.workspace_a.name, name_before, values)
            self.assertFalse(self.workspace_a.siret, values)
            self.assertEqual(wizard.service_id.state, "new", values)
            self.assertEqual(wizard.step, "company", values)

    def test_eighteen_years_from_the_birthday_on(self):
        # The 29th to the 31st of a month included: the day someone turns
        # 18 they are an adult, the day before they are 17.
        for today, birthday in [("2026-03-31", "2008-03-31"), ("2026-01-29", "2008-01-29"),
                                ("2026-05-30", "2008-05-30"), ("2026-12-07", "2008-12-07"),
                                ("2027-03-01", "2009-03-01")]:
            today, birthday = date.fromisoformat(today), date.fromisoformat(birthday)
            self.assertTrue(is_adult(birthday, today), (birthday, today))
            self.assertFalse(is_adult(birthday + timedelta(days=1), today), (birthday, today))
        # Born on 29 February: 18 on 1 March in a common year.
        self.assertTrue(is_adult(date(2008, 2, 29), date(2026, 3, 1)))
        self.assertFalse(is_adult(date(2008, 2, 29), date(2026, 2, 28)))

    def test_step1_accepts_who_turns_18_today_and_refuses_a_day_younger(self):
        today = fields.Date.from_string(fields.Date.context_today(self.env["webo.sale.opening"]))
        birth = today - relativedelta(years=18)
        young = dict(STEP1, birth_date=fields.Date.to_string(birth + timedelta(days=1)))
        wizard = self._wizard(self.designer_a, young).with_context(lang="fr_FR")
        wizard.action_start()
        with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
            wizard.action_save()
        self.assertIn("majeur", str(error.exception))
        self.assertEqual(wizard.service_id.state, "new")
        self.assertEqual(wizard.step, "company")
        wizard.write({"birth_date": fields.Date.to_string(birth)})
        wizard.action_save()
        self.assertEqual(wizard.step, "documents")
        self.assertEqual(wizard.service_id.state, "informed")

    def test_sole_proprietor_under_franchise_needs_no_vat_capital_or_rcs(self):
        values = dict(STEP1, legal_form="micro", vat_regime="franchise", vat=False,
                      share_capital=0.0, rcs_city=False)
        wizard = self._wizard(self.designer_a, values)
        wizard.action_start()
        wizard.action_save()
        self.assertEqual(self.workspace_a.webo_vat_regime, "franchise")
        self.assertFalse(self.workspace_a.vat)
        self.assertEqual(self.workspace_a._webo_legal_mention(), "Micro-enterprise")

    def test_step2_bad_input_is_refused_and_nothing_written(self):
        too_large = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
        cases = [
            ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "IBAN"),
            ({"iban": "FR76 3000 6000 0112 3456 7890"}, "IBAN"),
            ({"iban": "XX76 3000 6000 0112 3456 7890 189"}, "IBAN"),
            ({"iban": False}, "IBAN"),
            ({"bic": "AGRI"}, "BIC"),
            ({"address_file": b64(b"Bonjour, ceci est un texte"), "address_filename": "edf.pdf"},
             "n'est pas un fichier PDF, JPEG ou PNG"),
            ({"address_file": b64(b"%PDF-1.4 this is no PDF at all")}, "n'est pas un fichier PDF"),
            ({"identity_file": b64(b"\x89PNG\r\n\x1a\nnot an image")}, "n'est pas un fichier PDF"),
            ({"registration_file": False}, "Extrait d'immatriculation"),
        ]
        wizard = self._wizard(self.designer_a, STEP1).with_context(lang="fr_FR")
        wizard.action_start()
        wizard.action_save()
        for values, expected in cases:
            wizard.write(dict(step2(), **values))
            with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
                wizard.action_submit()
            self.assertIn(expected, str(error.exception), values)
            service = wizard.service_id
            self.assertEqual(service.state, "informed", values)
            self.assertFalse(service.sudo().document_ids, values)
            self.assertFalse(service.payment_journal_id, values)
            self.assertFalse(self.env["account.journal"].search(
                [("company_id", "=", self.workspace_a.id), ("code", "=", "WEBO")]), values)
        # An oversized file is refused as soon as it is given, before it is stored.
        stored = wizard.bank_file
        with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
            wizard.write({"bank_file": b64(too_large)})
        self.assertIn("la limite est de 10 Mo", str(error.exception))
        wizard.invalidate_cache()
        self.assertEqual(wizard.bank_file, stored)

    def test_documents_before_information_are_refused(self):
        wizard = self._wizard(self.designer_a, dict(step2()))
        with self.assertRaises(UserError):
            wizard.action_submit()
        self.assertEqual(wizard.service_id.state, "new")

    def test_opening_an_open_service_is_refused(self):
        service = self._open_service(self.designer_a)
        journals = self.env["account.journal"].search_count([("company_id", "=", self.workspace_a.id)])
        wizard = self._wizard(self.designer_a, dict(STEP1, **step2()))
        for action in (wizard.action_start, wizard.action_save, wizard.action_submit):
            with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
                action()
            self.assertIn("déjà ouvert", str(error.exception))
        with self.assertRaises(UserError):
            self.env["webo.sale.opening"].sudo(self.designer_a).webo_open_service(dict(STEP1, **step2()))
        self.assertEqual(service.state, "open")
        self.assertEqual(len(service.document_ids), 4)
        self.assertEqual(
            self.env["account.journal"].search_count([("company_id", "=", self.workspace_a.id)]), journals)

    def test_a_designer_cannot_open_or_read_another_workspace_service(self):
        service_a = self._open_service(self.designer_a)
        with self.assertRaises(AccessError):
            service_a.sudo(self.designer_b).read(["state"])
        with self.assertRaises(AccessError):
            service_a.sudo(self.designer_b).webo_synthesis()
        self.assertFalse(self.env["webo.sale.service"].sudo(self.designer_b).search(
            [("id", "=", service_a.id)]))
        # Another workspace's service is refused as soon as it is named.
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            self.env["webo.sale.opening"].sudo(self.designer_b).create(
                dict(STEP1, service_id=service_a.id, mode="information", step="company"))
        self.assertIn("autre espace", str(refusal.exception))
        self.assertEqual(self.workspace_a.name, "Studio Test SARL")
        with self.assertRaises(AccessError):
            service_a.sudo(self.designer_b).write({"state": "new"})

    def test_update_information_from_the_information_tab(self):
        service = self._open_service(self.designer_a).sudo(self.designer_a)
        action = service.action_edit_information()
        wizard = self.env["webo.sale.opening"].sudo(self.designer_a).browse(action["res_id"])
        self.assertEqual(wizard.step, "company")
        self.assertEqual(wizard.siret, "94821993600010", "prefilled with what was given")
        self.assertEqual(wizard.first_name, "Léa")
        wizard.write({"phone": "+33 6 99 99 99 99", "city": "Rezé", "zip": "44400"})
        action = wizard.action_save()
        self.assertEqual(action["res_model"], "webo.sale.service")
        self.assertEqual(self.designer_a.partner_id.phone, "+33 6 99 99 99 99")
        self.assertEqual(self.workspace_a.city, "Rezé")
        self.assertEqual(service.state, "open")
        self.assertEqual(service.user_phone, "+33 6 99 99 99 99")

    def test_new_iban_needs_new_bank_details_and_moves_the_payment_account(self):
        service = self._open_service(self.designer_a).sudo(self.designer_a)
        wizard = self.env["webo.sale.opening"].sudo(self.designer_a).browse(
            service.action_edit_documents()["res_id"])
        self.assertEqual(wizard.step, "documents")
        wizard.write({"iban": "FR14 2004 1010 0505 0001 3M02 606", "bic": False})
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            wizard.action_submit()
        self.assertEqual(service.bank_account_id.sanitized_acc_number, "FR7630006000011234567890189")
        wizard.write({"bank_file": b64(sample_pdf()), "bank_filename": "nouveau-rib.pdf"})
        wizard.action_submit()
        # Until the platform validates the new RIB, clients pay into the old IBAN.
        self.assertEqual(service.pending_iban, "FR1420041010050500013M02606")
        self.assertEqual(service.bank_account_id.sanitized_acc_number, "FR7630006000011234567890189")
        self.assertEqual(service.payment_journal_id.bank_account_id, service.bank_account_id)
        transfer = service.acquirer_ids.filtered(lambda a: a.provider == "transfer")
        self.assertIn("FR76 3000 6000 0112 3456 7890 189", transfer.sudo().post_msg)
        bank = service.document_ids.filtered(lambda d: d.kind == "bank")
        self.assertEqual(bank.filename, "nouveau-rib.pdf")
        self.assertEqual(bank.state, "submitted")
        self.assertEqual(len(service.document_ids), 4)
        # A refused RIB changes nothing either; a validated one moves the account.
        operator = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opérateur RIB", "login": "operator_rib", "email": "rib@webo-facto.fr",
            "groups_id": [(6, 0, self.env.ref("webo_sale.group_platform_operator").ids)]})
        bank.sudo(operator)._webo_refuse("Illisible")
        self.assertEqual(service.bank_account_id.sanitized_acc_number, "FR7630006000011234567890189")
        bank.sudo(operator).action_validate()
        self.assertFalse(service.pending_iban)
        self.assertEqual(service.bank_account_id.sanitized_acc_number, "FR1420041010050500013M02606")
        self.assertEqual(service.payment_journal_id.bank_account_id, service.bank_account_id)
        self.assertIn("FR14 2004 1010 0505 0001 3M02 606", transfer.sudo().post_msg)

    def test_payment_account_is_not_changed_by_a_plain_write(self):
        service = self._open_service(self.designer_a).sudo(self.designer_a)
        account, journal = service.bank_account_id, service.payment_journal_id
        with self.env.cr.savepoint(), self.assertRaises(UserError) as error:
            account.sudo(self.designer_a).with_context(lang="fr_FR").write(
                {"acc_number": "FR14 2004 1010 0505 0001 3M02 606"})
        self.assertIn("celui sur lequel vos clients paient", str(error.exception))
        with self.env.cr.savepoint(), self.assertRaises(UserError):
            account.sudo(self.designer_a).unlink()
        operator = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opérateur IBAN", "login": "operator_iban", "email": "iban@webo-facto.fr",
            "groups_id": [(6, 0, self.env.ref("webo_sale.group_platform_operator").ids)]})
        other = self.env["res.partner.bank"].create({
            "acc_number": "FR14 2004 1010 0505 0001 3M02 606", "partner_id": account.partner_id.id})
        for record, values in ((service, {"bank_account_id": other.id}),
                               (journal, {"bank_account_id": other.id}),
                               (service, {"pending_iban": "FR1420041010050500013M02606"})):
            with self.env.cr.savepoint(), self.assertRaises(UserError):
                record.sudo(operator).write(values)
        self.assertEqual(service.bank_account_id, account)
        self.assertEqual(journal.bank_account_id, account)
        self.assertEqual(account.sanitized_acc_number, "FR7630006000011234567890189")

    def test_open_in_one_call_for_api_clients(self):
        service_id = self.env["webo.sale.opening"].sudo(self.designer_b).webo_open_service(
            dict(STEP1, **step2()))
        service = self.env["webo.sale.service"].browse(service_id)
        self.assertEqual(service.company_id, self.workspace_b)
        self.assertEqual(service.state, "open")
        self.assertEqual(service.bank_account_id.acc_number, VALID_IBAN)
