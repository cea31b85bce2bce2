"""The official e-invoicing rules on every kind of document webo issues
(the EN 16931 schematron of Factur-X 1.09.2 and the BR-FR Flux 2 rules,
run with Saxon), the VAT franchise, the "EI" mention, and the refusals:
an invoice whose e-invoice fails is not issued, a franchise workspace
charges no VAT whatever the path."""
import datetime
import os
import resource

from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tools import config

from ..controllers.payment_page import page_values, read_invoice
from ..facturx_cii import FacturxWriter, check_facturx
from .common import WeboWorkspaceCase, french_identifiers, open_invoice

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def texts(root, path):
    return [node.text for node in root.xpath(path, namespaces=NS)]


class FacturxRulesCase(WeboWorkspaceCase):
    """Workspace A: a SARL subject to VAT; workspace B: a micro-entrepreneur
    under the VAT franchise, without a VAT number. Each has a business
    client (SIRET, billing contact), a private client; A also a Belgian
    business."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        france, belgium = cls.env.ref("base.fr"), cls.env.ref("base.be")
        cls.workspace_a.write({
            "street": "3 quai de la Fosse", "zip": "44000", "city": "Nantes", "email": "a@example.com",
            "webo_legal_form": "sarl", "webo_share_capital": 5000.0,
            "company_registry": "RCS Nantes %s" % cls.workspace_a.siret[:9]})
        cls.workspace_b.write({
            "street": "8 rue Sébastien Gryphe", "zip": "69007", "city": "Lyon", "email": "b@example.com",
            "webo_legal_form": "micro", "webo_vat_regime": "franchise", "vat": False})
        business_siret, business_vat = french_identifiers("Boulangerie Dupont")
        cls.business_a = cls._client(cls.workspace_a, "Boulangerie Dupont", siret=business_siret,
                                     vat=business_vat, country_id=france.id)
        cls.business_b = cls._client(cls.workspace_b, "Cabinet Leroy", siret=french_identifiers("Leroy")[0],
                                     country_id=france.id)
        cls.private_a = cls._client(cls.workspace_a, "Sophie Moreau", is_company=False, country_id=france.id)
        cls.private_b = cls._client(cls.workspace_b, "Marc Petit", is_company=False, country_id=france.id)
        cls.foreign_a = cls._client(cls.workspace_a, "Agence Atomium SRL", vat="BE0477472701",
                                    country_id=belgium.id, zip="1000", city="Bruxelles")
        cls.tax = {rate: cls.env["account.tax"].search([
            ("company_id", "=", cls.workspace_a.id), ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"), ("amount", "=", rate), ("price_include", "=", False)],
            limit=1) for rate in (20.0, 10.0, 5.5)}
        cls.no_tax = cls.env["account.tax"]

    @classmethod
    def _client(cls, company, name, is_company=True, **values):
        client = cls.env["res.partner"].create(dict({
            "name": name, "is_company": is_company, "customer": True, "company_id": company.id,
            "email": "%s@example.com" % "-".join(name.lower().split()), "lang": "fr_FR",
            "street": "1 place du Marché", "zip": "44000", "city": "Nantes"}, **values))
        if is_company:
            cls.env["res.partner"].create({
                "name": "Comptabilité", "type": "invoice", "parent_id": client.id,
                "company_id": company.id, "email": "compta-%s@example.com" % client.id})
        return client

    def xml_of(self, invoice):
        """The document's Factur-X, checked here afresh with the official
        rules (not the product's cache): no failed rule, whatever its flag."""
        xml = FacturxWriter(invoice).unchecked_xml()
        failures = check_facturx(xml, cached=False)
        self.assertEqual(failures, [], "\n".join("%s %s" % (f.rule, f.message) for f in failures))
        return etree.fromstring(xml)


class TestEveryDocumentPassesTheRules(FacturxRulesCase):

    def test_invoice_at_20_percent_to_a_business(self):
        invoice = open_invoice(self.env, self.workspace_a, self.business_a,
                               [("Refonte du site", 1, 1200.0, self.tax[20.0])])
        root = self.xml_of(invoice)
        self.assertEqual(texts(root, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"),
                         ["S1"], "BT-23, the billing framework: services")
        self.assertEqual(texts(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content"), ["B2B"])
        siren = self.business_a.siret[:9]
        self.assertEqual(texts(root, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/"
                                     "ram:URIID[@schemeID='0225']"), [siren])
        self.assertEqual(texts(root, "//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/"
                                     "ram:ID[@schemeID='0002']"), [siren])
        self.assertEqual(texts(root, "//ram:SellerTradeParty/ram:URIUniversalCommunication/"
                                     "ram:URIID[@schemeID='0225']"), [self.workspace_a.siret[:9]])
        self.assertEqual(texts(root, "//ram:SellerTradeParty/ram:Description"),
                         ["SARL au capital de 5\xa0000,00 € – RCS Nantes %s" % self.workspace_a.siret[:9]])
        self.assertIn("40 €", texts(root, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content")[0])

    def test_invoice_at_several_rates(self):
        invoice = open_invoice(self.env, self.workspace_a, self.business_a, [
            ("Création", 1, 1000.0, self.tax[20.0]), ("Formation", 2, 150.0, self.tax[10.0]),
            ("Livre", 3, 19.9, self.tax[5.5])])
        root = self.xml_of(invoice)
        self.assertEqual(sorted(texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                            "ram:RateApplicablePercent")), ["10.00", "20.00", "5.50"])

    def test_invoice_to_a_private_client(self):
        invoice = open_invoice(self.env, self.workspace_a, self.private_a,
                               [("Site personnel", 1, 300.0, self.tax[20.0])])
        root = self.xml_of(invoice)
        self.assertEqual(texts(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content"), ["B2C"])
        self.assertEqual(texts(root, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/"
                                     "ram:URIID[@schemeID='EM']"), [self.private_a.email])
        (indemnity,) = texts(root, "//ram:IncludedNote[ram:SubjectCode='PMT']/ram:Content")
        self.assertIn("non applicable", indemnity)

    def test_franchise_invoices_to_a_business_and_a_private_client(self):
        """BR-E-02: the franchise seller has no VAT number; its SIREN is
        its tax registration identifier (BT-32, scheme FC)."""
        for client in (self.business_b, self.private_b):
            invoice = open_invoice(self.env, self.workspace_b, client,
                                   [("Refonte du blog", 2, 250.0, self.no_tax)])
            root = self.xml_of(invoice)
            seller = "//ram:SellerTradeParty/"
            self.assertEqual(texts(root, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']"),
                             [self.workspace_b.siret[:9]])
            self.assertFalse(texts(root, seller + "ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"))
            self.assertEqual(texts(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                                         "ram:ExemptionReasonCode"), ["VATEX-FR-FRANCHISE"])

    def test_individual_entrepreneur_is_named_with_ei(self):
        """Décret 2022-725: "EI" right after the name, on the e-invoice too."""
        invoice = open_invoice(self.env, self.workspace_b, self.business_b,
                               [("Logo", 1, 200.0, self.no_tax)])
        root = self.xml_of(invoice)
        self.assertEqual(texts(root, "//ram:SellerTradeParty/ram:Name"), ["Atelier B EI"])
        self.assertEqual(texts(root, "//ram:SellerTradeParty/ram:Description"), ["Micro-entreprise"])
        self.assertEqual(self.workspace_b.webo_legal_name, "Atelier B EI")
        self.workspace_b.name = "Claire Martin, entrepreneur individuel"
        self.assertEqual(self.workspace_b.webo_legal_name, "Claire Martin, entrepreneur individuel",
                         "not said twice")
        self.assertEqual(self.workspace_a.webo_legal_name, "Atelier A", "a SARL is no EI")

    def test_credit_notes(self):
        for company, client, tax, designer in (
                (self.workspace_a, self.business_a, self.tax[20.0], self.designer_a),
                (self.workspace_b, self.private_b, self.no_tax, self.designer_b)):
            invoice = open_invoice(self.env, company, client, [("Maquettes", 1, 800.0, tax)])
            credit_note = invoice.sudo(designer)._webo_new_credit_note().sudo()
            credit_note.action_invoice_open()
            root = self.xml_of(credit_note)
            self.assertEqual(texts(root, "//rsm:ExchangedDocument/ram:TypeCode"), ["381"])
            self.assertEqual(texts(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID"),
                             [invoice.number])

    def test_subscription_invoice_states_its_month(self):
        subscription = self.env["webo.subscription"].sudo(self.designer_a).webo_create({
            "name": "Hébergement", "partner_id": self.business_a.id, "date_start": "2026-01-31",
            "line_ids": [(0, 0, {"name": "Hébergement", "quantity": 1, "price_unit": 30.0,
                                 "tax_ids": [(6, 0, self.tax[20.0].ids)]})]})
        subscription = self.env["webo.subscription"].browse(subscription)
        invoice = subscription.sudo()._issue_period(2)
        root = self.xml_of(invoice)
        self.assertEqual(texts(root, "//ram:BillingSpecifiedPeriod/ram:StartDateTime/udt:DateTimeString"),
                         ["20260228"])
        self.assertEqual(texts(root, "//ram:BillingSpecifiedPeriod/ram:EndDateTime/udt:DateTimeString"),
                         ["20260330"])

    def test_invoice_to_a_foreign_business(self):
        invoice = open_invoice(self.env, self.workspace_a, self.foreign_a,
                               [("Site multilingue", 1, 2500.0, self.tax[20.0])])
        root = self.xml_of(invoice)
        self.assertEqual(texts(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content"), ["B2BINT"])
        self.assertEqual(texts(root, "//ram:BuyerTradeParty/ram:PostalTradeAddress/ram:CountryID"), ["BE"])

    def test_long_invoice_of_many_lines(self):
        rates = [self.tax[20.0], self.tax[10.0], self.tax[5.5]]
        invoice = open_invoice(self.env, self.workspace_a, self.business_a, [
            ("Prestation %d" % index, 1 + index % 3, 10.0 + 7.77 * index, rates[index % 3])
            for index in range(60)])
        root = self.xml_of(invoice)
        self.assertEqual(len(root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)), 60)


class TestRulesInAPreforkWorker(FacturxRulesCase):
    """Odoo's prefork workers cap their address space (``limit_memory_hard``,
    RLIMIT_AS), which Saxon cannot start under: the rules run in Saxon's
    own process, so a worker checks an invoice like any other process."""

    def test_a_worker_with_odoo_address_space_limit_checks_an_invoice(self):
        invoice = open_invoice(self.env, self.workspace_a, self.business_a,
                               [("Refonte du site", 1, 1200.0, self.tax[20.0])])
        xml = FacturxWriter(invoice).unchecked_xml()
        broken = xml.replace(b"<ram:ID>S1</ram:ID>", b"")
        limit = config["limit_memory_hard"] or 2684354560
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: Odoo's limit, then the checks
            status = 3
            try:
                os.close(read_end)
                _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
                found = ",".join(sorted({failure.rule for failure in check_facturx(broken, cached=False)}))
                os.write(write_end, found.encode("utf-8"))
                status = 0 if check_facturx(xml, cached=False) == [] else 1
            finally:
                os._exit(status)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as answer:
            found = answer.read().decode("utf-8")
        _pid, status = os.waitpid(pid, 0)
        self.assertEqual(os.WEXITSTATUS(status), 0, "the valid invoice passes in the worker")
        self.assertIn("BR-FR-08", found, "the invoice without BT-23 fails BR-FR-08 in the worker")


class TestIssuingChecksTheRules(FacturxRulesCase):

    def _draft(self, company, client, lines):
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
        account = journal.default_credit_account_id
        return self.env["account.invoice"].create({
            "partner_id": client.id, "company_id": company.id, "journal_id": journal.id,
            "date_invoice": "2026-03-02", "date_due": "2026-04-01",
            "invoice_line_ids": [(0, 0, {"name": name, "quantity": quantity, "price_unit": price,
                                         "account_id": account.id,
                                         "invoice_line_tax_ids": [(6, 0, taxes.ids)]})
                                 for name, quantity, price, taxes in lines]})

    def assertNotIssued(self, invoice, *fragments):
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            invoice.with_context(lang="fr_FR").action_invoice_open()
        for fragment in fragments:
            self.assertIn(fragment, refused.exception.name)
        invoice.invalidate_cache()
        self.assertEqual((invoice.state, invoice.number), ("draft", False))
        self.assertFalse(invoice.move_id, "no journal entry")

    def test_an_invoice_whose_e_invoice_fails_a_rule_is_not_issued(self):
        """A number with a space breaks BR-FR-02 (the invoice identifier's
        characters): the rule is named, and nothing is issued."""
        invoice = self._draft(self.workspace_a, self.business_a, [("Site", 1, 100.0, self.tax[20.0])])
        invoice.journal_id.sequence_id.prefix = "FAC %(year)s/"
        self.assertNotIssued(invoice, "BR-FR-02_BT-1", "ne respecte pas les règles officielles")

    def test_workspace_without_siret_cannot_issue(self):
        self.workspace_b.siret = False
        invoice = self._draft(self.workspace_b, self.business_b, [("Site", 1, 100.0, self.no_tax)])
        self.assertNotIssued(invoice, "n'a pas de SIRET")

    def test_workspace_subject_to_vat_needs_its_vat_number(self):
        self.workspace_a.vat = False
        invoice = self._draft(self.workspace_a, self.business_a, [("Site", 1, 100.0, self.tax[20.0])])
        self.assertNotIssued(invoice, "n'a pas de numéro de TVA intracommunautaire")

    def test_client_without_email_cannot_be_invoiced(self):
        self.private_a.email = False
        invoice = self._draft(self.workspace_a, self.private_a, [("Site", 1, 100.0, self.tax[20.0])])
        self.assertNotIssued(invoice, "n'a pas d'adresse e-mail")


class TestFranchiseChargesNoVat(FacturxRulesCase):
    """Every way a line reaches a franchise workspace's invoice refuses VAT,
    in French, with nothing written."""

    def assertRefusedVat(self, action):
        with self.assertRaises(ValidationError) as refused, self.env.cr.savepoint():
            action()
        self.assertIn("franchise en base de TVA", refused.exception.name)
        self.assertIn("art. 293 B", refused.exception.name)

    def test_invoice_created_with_vat(self):
        invoices = self.env["account.invoice"].sudo(self.designer_b)
        before = invoices.search_count([])
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_b.id), ("type", "=", "sale")], limit=1)
        tax_b = self.env["account.tax"].search([
            ("company_id", "=", self.workspace_b.id), ("type_tax_use", "=", "sale"),
            ("amount", "=", 20.0)], limit=1)
        self.assertRefusedVat(lambda: invoices.with_context(lang="fr_FR").create({
            "partner_id": self.business_b.id, "journal_id": journal.id,
            "invoice_line_ids": [(0, 0, {"name": "Site", "quantity": 1, "price_unit": 100.0,
                                         "account_id": journal.default_credit_account_id.id,
                                         "invoice_line_tax_ids": [(6, 0, tax_b.ids)]})]}))
        self.assertEqual(invoices.search_count([]), before)

    def test_vat_added_to_a_line_or_as_a_tax_line(self):
        invoice = self.env["account.invoice"].create({
            "partner_id": self.business_b.id, "company_id": self.workspace_b.id,
            "journal_id": self.env["account.journal"].search(
                [("company_id", "=", self.workspace_b.id), ("type", "=", "sale")], limit=1).id,
            "invoice_line_ids": [(0, 0, {"name": "Site", "quantity": 1, "price_unit": 100.0,
                                         "account_id": self.env["account.account"].search(
                                             [("company_id", "=", self.workspace_b.id),
                                              ("code", "=like", "706%")], limit=1).id})]})
        tax_b = self.env["account.tax"].search([
            ("company_id", "=", self.workspace_b.id), ("type_tax_use", "=", "sale"),
            ("amount", "=", 20.0)], limit=1)
        line = invoice.invoice_line_ids.sudo(self.designer_b).with_context(lang="fr_FR")
        self.assertRefusedVat(lambda: line.write({"invoice_line_tax_ids": [(6, 0, tax_b.ids)]}))
        self.assertFalse(invoice.invoice_line_ids.invoice_line_tax_ids)
        self.assertRefusedVat(lambda: self.env["account.invoice.tax"].with_context(lang="fr_FR").create({
            "invoice_id": invoice.id, "name": "TVA 20 %", "tax_id": tax_b.id, "amount": 20.0,
            "account_id": invoice.invoice_line_ids.account_id.id}))
        self.assertFalse(invoice.tax_line_ids)

    def test_invoice_wizard_and_subscriptions(self):
        tax_b = self.env["account.tax"].search([
            ("company_id", "=", self.workspace_b.id), ("type_tax_use", "=", "sale"),
            ("amount", "=", 20.0)], limit=1)
        designer = self.env(user=self.designer_b.id, context={"lang": "fr_FR"})
        line = {"name": "Site", "quantity": 1, "price_unit": 100.0, "tax_ids": [(6, 0, tax_b.ids)]}
        today = datetime.date.today().isoformat()
        self.assertRefusedVat(lambda: designer["webo.invoice.wizard"].create({
            "name": "Site", "partner_id": self.business_b.id, "date_invoice": today, "date_due": today,
            "line_ids": [(0, 0, dict(line))]}))
        subscriptions = designer["webo.subscription"]
        count = subscriptions.search_count([])
        self.assertRefusedVat(lambda: subscriptions.webo_create({
            "name": "Hébergement", "partner_id": self.business_b.id, "date_start": today,
            "line_ids": [(0, 0, dict(line))]}))
        self.assertEqual(subscriptions.search_count([]), count)
        subscription = subscriptions.browse(subscriptions.webo_create({
            "name": "Hébergement", "partner_id": self.business_b.id, "date_start": today,
            "line_ids": [(0, 0, dict(line, tax_ids=[]))]}))
        self.assertRefusedVat(lambda: subscription.webo_modify({"line_ids": [(0, 0, dict(line))]}))
        self.assertFalse(subscription.line_ids.mapped("tax_ids"))

    def test_moving_to_the_franchise_with_taxed_subscriptions_is_refused(self):
        self.env["webo.subscription"].sudo(self.designer_a).webo_create({
            "name": "Maintenance", "partner_id": self.business_a.id,
            "date_start": datetime.date.today().isoformat(),
            "line_ids": [(0, 0, {"name": "Maintenance", "quantity": 1, "price_unit": 50.0,
                                 "tax_ids": [(6, 0, self.tax[20.0].ids)]})]})
        with self.assertRaises(ValidationError) as refused, self.env.cr.savepoint():
            self.workspace_a.with_context(lang="fr_FR").webo_vat_regime = "franchise"
        self.assertIn("Maintenance", refused.exception.name)
        self.assertEqual(self.workspace_a.webo_vat_regime, "subject")


class TestLegalDocuments(FacturxRulesCase):
    """What the client and the designer see: the legal PDF only in the
    Print menu, "EI" on the PDF and in the email's signature, subjects
    without escaping, the credit note's email with its page."""

    def test_print_menu_offers_designers_the_legal_pdf_only(self):
        actions = self.env["ir.actions.actions"]
        designer = actions.sudo(self.designer_a).get_bindings("account.invoice")["report"]
        self.assertEqual([report["report_name"] for report in designer], ["webo_sale.report_invoice"])
        operator = actions.sudo(self.env.ref("base.user_root")).get_bindings("account.invoice")["report"]
        self.assertIn("account.report_invoice_with_payments", [report["report_name"] for report in operator])
        # Underneath, Odoo's own report still prints (its mail template and
        # the portal print it, as superuser).
        invoice = open_invoice(self.env, self.workspace_a, self.business_a,
                               [("Site", 1, 100.0, self.tax[20.0])])
        html = self.env.ref("account.account_invoices").render_qweb_html(invoice.ids)[0]
        self.assertIn(invoice.number, html.decode())
        action = invoice.sudo(self.designer_a).invoice_print()
        self.assertEqual(action["report_name"], "webo_sale.report_invoice", "Odoo's Print button too")

    def test_subject_of_a_company_with_an_ampersand(self):
        self.workspace_a.name = "Studio A & Co"
        invoice = open_invoice(self.env, self.workspace_a, self.business_a,
                               [("Site", 1, 100.0, self.tax[20.0])])
        subject = invoice._webo_render_email()["subject"]
        self.assertIn("Studio A & Co", subject)
        self.assertNotIn("&amp;", subject)
        wizard = self.env["webo.invoice.wizard"].sudo(self.designer_a).create({
            "name": "Site", "partner_id": self.business_a.id, "date_due": "2099-01-01",
            "line_ids": [(0, 0, {"name": "Site", "quantity": 1, "price_unit": 100.0})]})
        wizard.action_next()
        self.assertIn("– Studio A & Co", wizard.email_subject, "the preview too")
        self.assertNotIn("&amp;", wizard.email_subject)

    def test_credit_note_email_carries_its_page(self):
        invoice = open_invoice(self.env, self.workspace_a, self.business_a,
                               [("Site", 1, 100.0, self.tax[20.0])])
        credit_note = invoice.sudo(self.designer_a)._webo_new_credit_note().sudo()
        credit_note.action_invoice_open()
        body = credit_note.with_context(lang="fr_FR")._webo_render_email()["body"]
        self.assertTrue(credit_note.webo_payment_url)
        self.assertIn('href="%s"' % credit_note.webo_payment_url, body)
        self.assertIn("Consultez-le et téléchargez-le sur sa page sécurisée", body)

    def test_individual_entrepreneur_pdf_and_email_say_ei(self):
        invoice = open_invoice(self.env, self.workspace_b, self.business_b,
                               [("Logo", 1, 200.0, self.no_tax)])
        html = self.env.ref("webo_sale.action_report_invoice").render_qweb_html(invoice.ids)[0].decode()
        self.assertIn("Atelier B EI", html)
        self.assertIn("Micro-entreprise", html)
        email = invoice._webo_render_email()
        self.assertIn("Atelier B EI", email["subject"])
        self.assertIn("Atelier B EI", email["body"])
        page = page_values(self.env, read_invoice(self.env, invoice.id), invoice.access_token)
        self.assertEqual(page.company.name, "Atelier B EI", "the payment page names the seller as the PDF")
