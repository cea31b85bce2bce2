"""Automatic matching of bank transfers with the invoices they pay: each
rule of webo_sale/README.rst, with what makes it sure or only a proposal; a sure
match pays the invoice through the same path as every payment; nothing is
ever matched with another workspace's invoice."""
import base64
from datetime import date, timedelta

from odoo.exceptions import AccessError, UserError

from .bank_files import camt053
from .common import open_invoice
from .common_opening import VALID_IBAN, OpeningCase

PAYER_IBAN = "FR1420041010050500013M02606"
OTHER_IBAN = "DE89370400440532013000"
B_IBAN = "FR7610107001011234567890129"


class BankCase(OpeningCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_a = cls._open_service(cls.designer_a).sudo()
        # B's service opened underneath the screens (their company data
        # would have to differ from A's): its own payment-receiving account.
        cls.service_b = cls.env["webo.sale.service"]._webo_for_company(cls.workspace_b).sudo()
        cls.service_b._webo_open(B_IBAN)
        cls.client_a.write({"name": "Boulangerie Dupont", "lang": "fr_FR"})
        cls.env["res.partner"].create({
            "name": "Comptabilité", "type": "invoice", "parent_id": cls.client_a.id,
            "email": "compta-a@example.org", "company_id": cls.workspace_a.id})
        cls.other_client = cls._create_client("Fleuriste Les Lilas", cls.workspace_a)
        cls.today = date.today()
        cls.serial = 0

    def _invoice(self, amount, client=None, company=None, days_ago=0):
        day = str(self.today - timedelta(days=days_ago))
        return open_invoice(self.env, company or self.workspace_a, client or self.client_a,
                            [("Création du site", 1, amount, self.env["account.tax"])],
                            date_invoice=day, date_due=day)

    def _import(self, entries, user=None, filename="releve.xml", **kwargs):
        """Import a CAMT.053 of A's payment-receiving account (each file a
        new statement); returns the statement."""
        type(self).serial += 1
        for entry in entries:
            entry.setdefault("date", str(self.today))
        data = camt053(VALID_IBAN, entries, statement_id="STMT-%d" % self.serial, **kwargs)
        summary = self.env["account.bank.statement"].sudo(user or self.designer_a).with_context(
            lang="fr_FR").webo_import_statement(base64.b64encode(data).decode(), filename)
        return self.env["account.bank.statement"].browse(summary["statement_ids"])

    def _line(self, statement):
        return statement.line_ids.filtered(lambda line: line.amount > 0)

    def _alerts(self, invoice):
        return invoice.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("webo_sale.mt_payment_received"))


class TestSureMatches(BankCase):

    def test_number_as_clients_type_it_and_exact_amount_pays_the_invoice(self):
        for form in ("Facture {number}", "{spaced} merci", "virement {glued}", "REGLEMENT {short}"):
            invoice = self._invoice(480.0)
            year, sequence = invoice.number.split("/")[1:]
            text = form.format(number=invoice.number, spaced=invoice.number.replace("/", " "),
                               glued=("fac%s-%s" % (year, sequence)),
                               short="FAC %s %d" % (year, int(sequence)))
            before = self.service_a.webo_synthesis()
            statement = self._import([{"amount": 480.0, "text": text, "name": "SARL X"}])
            line = self._line(statement)
            with self.subTest(text=text):
                self.assertEqual(invoice.state, "paid")
                self.assertEqual((line.webo_match_state, line.webo_match_rule),
                                 ("reconciled", "reference_amount"))
                self.assertEqual(line.webo_match_ids.state, "auto")
                self.assertEqual(line.partner_id, self.client_a)
                # The same path as every payment: alert (the statement's
                # summary), receipt, Synthèse.
                self.assertFalse(self._alerts(invoice))
                self.assertIn(invoice.number, self._alerts(statement).body)
                self.assertTrue(invoice.message_ids.filtered(
                    lambda message: "Reçu de paiement" in (message.subject or "")))
                after = self.service_a.webo_synthesis()
                self.assertEqual(after["unpaid_count"], before["unpaid_count"] - 1)

    def test_one_summary_alert_per_statement_lists_its_payments(self):
        paid, partly, other = self._invoice(120.0), self._invoice(500.0), self._invoice(80.0)
        statement = self._import([
            {"amount": 120.0, "text": "Facture %s" % paid.number},
            {"amount": 200.0, "text": "acompte %s" % partly.number, "name": "BOULANGERIE DUPONT SARL"},
            {"amount": 80.0, "text": "VIR SEPA", "name": "INCONNU"}])
        self.assertEqual((paid.state, partly.residual, other.state), ("paid", 300.0, "open"))
        self.assertFalse(self._alerts(paid) | self._alerts(partly))
        alert = self._alerts(statement)
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.subject, "Paiements reçus : 2 dans le relevé %s" % statement.name)
        self.assertIn("Boulangerie Dupont a payé 120,00", alert.body)
        self.assertIn("la facture %s est payée" % paid.number, alert.body)
        self.assertIn("300,00", alert.body)
        self.assertNotIn(other.number, alert.body)
        # In the designer's Odoo inbox, as a single payment's alert is.
        self.assertIn(self.designer_a.partner_id, alert.needaction_partner_ids)

    def test_one_transfer_pays_two_invoices_of_one_client(self):
        first, second = self._invoice(100.0), self._invoice(250.5)
        line = self._line(self._import([{
            "amount": 350.5, "text": "Paiement factures %s et %s" % (first.number, second.number)}]))
        self.assertEqual((first.state, second.state), ("paid", "paid"))
        self.assertEqual(line.webo_match_rule, "reference_amount")
        self.assertEqual(line.webo_match_ids.invoice_ids, first | second)

    def test_partial_payment_by_the_client_is_reconciled(self):
        invoice = self._invoice(600.0)
        line = self._line(self._import([{"amount": 200.0, "text": "acompte %s" % invoice.number,
                                         "name": "BOULANGERIE DUPONT SARL"}]))
        self.assertEqual(line.webo_match_rule, "reference_partial")
        self.assertEqual((invoice.state, invoice.residual, invoice.webo_state), ("open", 400.0, "partial"))

    def test_iban_seen_before_and_the_only_invoice_of_that_amount(self):
        first = self._invoice(90.0)
        self._import([{"amount": 90.0, "text": first.number, "iban": PAYER_IBAN}])
        self.assertIn(PAYER_IBAN, self.client_a.bank_ids.mapped("sanitized_acc_number"))
        second, other = self._invoice(75.0), self._invoice(60.0)
        line = self._line(self._import([{"amount": 75.0, "text": "VIR SEPA", "iban": PAYER_IBAN}]))
        self.assertEqual(line.webo_match_rule, "iban_amount")
        self.assertEqual((second.state, other.state), ("paid", "open"))


class TestProposals(BankCase):

    def test_partial_payment_of_an_unknown_payer_is_proposed_then_confirmed(self):
        invoice = self._invoice(300.0)
        line = self._line(self._import([{"amount": 100.0, "text": invoice.number, "name": "M. DURAND"}]))
        match = line.webo_match_ids
        self.assertEqual((line.webo_match_state, match.state, match.rule),
                         ("proposed", "proposed", "reference_unsure"))
        self.assertEqual(invoice.residual, 300.0)
        proposals = self.env["webo.bank.match"].sudo(self.designer_a).with_context(
            lang="fr_FR").webo_proposals()
        proposal = next(p for p in proposals if p["id"] == match.id)
        self.assertEqual(proposal["invoices"][0]["number"], invoice.number)
        self.assertIn("numéro de facture", proposal["reason"])

        match.sudo(self.designer_a).webo_confirm()
        self.assertEqual((match.state, line.webo_match_state), ("confirmed", "reconciled"))
        self.assertEqual(invoice.residual, 200.0)
        self.assertEqual(len(self._alerts(invoice)), 1)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            match.sudo(self.designer_a).webo_confirm()
        self.assertEqual(invoice.residual, 200.0)

    def test_reject_leaves_the_transfer_unmatched(self):
        invoice = self._invoice(42.0)
        line = self._line(self._import([{"amount": 42.0, "text": "VIR INST", "name": "Inconnu"}]))
        match = line.webo_match_ids
        self.assertEqual(match.rule, "amount_only")
        match.sudo(self.designer_a).webo_reject()
        self.assertEqual((match.state, line.webo_match_state), ("rejected", "unmatched"))
        self.assertEqual(invoice.state, "open")

    def test_payer_name_and_amount_are_only_a_proposal(self):
        invoice = self._invoice(77.0)
        self._invoice(77.0, client=self.other_client)
        line = self._line(self._import([{"amount": 77.0, "text": "VIREMENT",
                                         "name": "BOULANGERIE DUPONT"}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule), ("proposed", "name_amount"))
        self.assertEqual(line.webo_match_ids.invoice_ids, invoice)

    def test_several_invoices_of_the_amount_from_a_known_iban(self):
        self.env["res.partner.bank"].create({"acc_number": PAYER_IBAN, "partner_id": self.client_a.id,
                                             "company_id": self.workspace_a.id})
        older, newer = self._invoice(50.0, days_ago=3), self._invoice(50.0)
        line = self._line(self._import([{"amount": 50.0, "iban": PAYER_IBAN}]))
        self.assertEqual(line.webo_match_rule, "iban_several")
        self.assertEqual(line.webo_match_ids.invoice_ids, older)
        self.assertEqual(newer.state, "open")

    def test_numbers_of_invoices_of_two_clients_are_only_a_proposal(self):
        mine, theirs = self._invoice(100.0), self._invoice(50.0, client=self.other_client)
        line = self._line(self._import([{
            "amount": 150.0, "text": "Factures %s et %s" % (mine.number, theirs.number)}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule),
                         ("proposed", "reference_several_clients"))
        self.assertEqual(line.webo_match_ids.invoice_ids, mine | theirs)
        self.assertEqual((mine.state, theirs.state), ("open", "open"))

    def test_year_and_sequence_without_the_prefix_and_the_amount(self):
        invoice = self._invoice(213.45)
        _prefix, year, sequence = invoice.number.split("/")
        line = self._line(self._import([{"amount": 213.45, "text": "Virement %s-%s" % (year, sequence),
                                         "name": "M. INCONNU"}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule),
                         ("proposed", "number_only_amount"))
        self.assertEqual(line.webo_match_ids.invoice_ids, invoice)
        self.assertEqual(invoice.state, "open")

    def test_two_invoices_of_a_known_iban_adding_up_to_the_amount(self):
        self.env["res.partner.bank"].create({"acc_number": PAYER_IBAN, "partner_id": self.client_a.id,
                                             "company_id": self.workspace_a.id})
        first, second = self._invoice(111.11), self._invoice(222.22)
        line = self._line(self._import([{"amount": 333.33, "text": "VIR SEPA", "iban": PAYER_IBAN}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule), ("proposed", "iban_sum"))
        self.assertEqual(line.webo_match_ids.invoice_ids, first | second)
        line.webo_match_ids.sudo(self.designer_a).webo_confirm()
        self.assertEqual((first.state, second.state), ("paid", "paid"))

    def test_right_number_paid_from_another_clients_iban(self):
        self.env["res.partner.bank"].create({"acc_number": OTHER_IBAN, "partner_id": self.other_client.id,
                                             "company_id": self.workspace_a.id})
        invoice = self._invoice(130.0)
        line = self._line(self._import([{"amount": 130.0, "text": invoice.number, "iban": OTHER_IBAN}]))
        self.assertEqual(line.webo_match_rule, "reference_other_payer")
        self.assertEqual(invoice.state, "open")

    def test_a_transfer_older_than_the_invoice_is_not_sure(self):
        invoice = self._invoice(64.0)
        line = self._line(self._import([{"amount": 64.0, "text": invoice.number,
                                         "date": str(self.today - timedelta(days=5))}]))
        self.assertEqual(line.webo_match_state, "proposed")
        self.assertEqual(invoice.state, "open")

    def test_confirm_refused_once_the_invoice_is_paid_otherwise(self):
        invoice = self._invoice(88.0)
        match = self._line(self._import([{"amount": 88.0, "text": "VIR", "name": "X"}])).webo_match_ids
        invoice.sudo(self.designer_a).webo_register_payment(88.0)
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            match.sudo(self.designer_a).with_context(lang="fr_FR").webo_confirm()
        self.assertIn("rejetez la proposition", str(refused.exception.name))
        self.assertEqual(match.state, "proposed")


class TestNoMatch(BankCase):

    def test_more_than_due_and_already_paid_are_not_matched(self):
        invoice = self._invoice(40.0)
        line = self._line(self._import([{"amount": 90.0, "text": invoice.number}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule), ("unmatched", "more_than_due"))
        invoice.sudo(self.designer_a).webo_register_payment(40.0)
        line = self._line(self._import([{"amount": 40.0, "text": invoice.number}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule), ("unmatched", "already_paid"))

    def test_no_number_no_known_payer_no_single_invoice_of_the_amount(self):
        first, second = self._invoice(64.32), self._invoice(64.32, client=self.other_client)
        line = self._line(self._import([{"amount": 64.32, "text": "VIR SEPA", "name": "Inconnu"}]))
        self.assertEqual((line.webo_match_state, line.webo_match_rule), ("unmatched", "nothing"))
        self.assertFalse(line.webo_match_ids)
        self.assertEqual((first.state, second.state), ("open", "open"))

    def test_debits_are_left_alone(self):
        statement = self._import([{"amount": -12.0, "text": "Frais bancaires"}])
        self.assertEqual(statement.line_ids.webo_match_state, "debit")
        self.assertFalse(statement.line_ids.journal_entry_ids)

    def test_never_an_invoice_of_another_workspace(self):
        foreign = self._invoice(500.0, client=self.client_b, company=self.workspace_b)
        # A's own invoice may carry the same number: its amount differs.
        self._invoice(333.0)
        line = self._line(self._import([{"amount": 500.0, "text": "Facture %s" % foreign.number,
                                         "name": self.client_b.name}]))
        self.assertEqual(foreign.state, "open")
        self.assertNotIn(foreign, line.webo_match_ids.invoice_ids)
        self.assertNotEqual(line.webo_match_state, "reconciled")
        # B sees neither A's statements nor its proposals, and cannot act on them.
        self.assertFalse(self.env["account.bank.statement"].sudo(self.designer_b).search(
            [("id", "=", line.statement_id.id)]))
        self.assertFalse(self.env["webo.bank.match"].sudo(self.designer_b).webo_proposals())
        if line.webo_match_ids:
            with self.assertRaises(AccessError), self.env.cr.savepoint():
                line.webo_match_ids.sudo(self.designer_b).webo_confirm()

    def test_deferred_purchases_settled_from_a_matched_transfer(self):
        """Through webo_purchase_credit's hook when installed: the payment
        of a matched transfer lands in the payment-receiving account."""
        invoice = self._invoice(45.0)
        line = self._line(self._import([{"amount": 45.0, "text": invoice.number}]))
        payment = line.journal_entry_ids.mapped("payment_id")
        self.assertEqual(payment.journal_id, self.service_a.payment_journal_id)
        self.assertEqual((payment.payment_type, payment.partner_id), ("inbound", self.client_a))
