"""Importing bank statements: CAMT.053 and OFX into a bank journal of the
workspace; every refusal in French with nothing written (a file that is
not a statement, another account or currency, a duplicate or overlapping
statement, a truncated file, a file declaring entities, a file too large)."""
import base64

from odoo.exceptions import UserError
from odoo.tools.safe_eval import safe_eval

from .bank_files import camt053, ofx
from .common_opening import VALID_IBAN
from .test_bank_matching import BankCase

OTHER_ACCOUNT = "FR7630001007941234567890185"


class TestStatementImport(BankCase):

    def _refused(self, content, message, user=None, journal_id=None, filename="releve.xml"):
        statements = self.env["account.bank.statement"].sudo()
        before = self._counts()
        if isinstance(content, bytes):
            content = base64.b64encode(content).decode()
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            statements.sudo(user or self.designer_a).with_context(lang="fr_FR").webo_import_statement(
                content, filename, journal_id=journal_id)
        self.assertIn(message, str(refused.exception.name))
        self.assertEqual(self._counts(), before, "nothing is written")

    def _counts(self):
        return tuple(self.env[model].sudo().search_count([]) for model in (
            "account.bank.statement", "account.bank.statement.line", "webo.bank.match",
            "account.move", "res.partner.bank"))

    def _camt(self, **kwargs):
        entries = kwargs.pop("entries", None) or [
            {"amount": 10.0, "date": "2026-03-02", "text": "VIR 1", "ref": "BANKREF-1"},
            {"amount": 20.0, "date": "2026-03-03", "text": "VIR 2", "ref": "BANKREF-2"}]
        return camt053(kwargs.pop("iban", VALID_IBAN), entries, **kwargs)

    def test_camt_into_the_payment_receiving_account(self):
        statement = self._import([{"amount": 10.0, "text": "VIR", "name": "X", "iban": OTHER_ACCOUNT}])
        self.assertEqual(statement.journal_id, self.service_a.payment_journal_id)
        self.assertEqual(statement.company_id, self.workspace_a)
        line = statement.line_ids
        self.assertEqual((line.partner_name, line.webo_payer_iban, line.amount), ("X", OTHER_ACCOUNT, 10.0))
        self.assertTrue(line.unique_import_id)
        # Gestion commerciale > Vente > Relevés bancaires lists it for A, not for B.
        action = self.env.ref("webo_sale.account_bank_statement_action")
        domain = safe_eval(action.domain or "[]")
        listed = self.env["account.bank.statement"].sudo(self.designer_a).search(domain)
        self.assertIn(statement, listed)
        self.assertNotIn(statement, self.env["account.bank.statement"].sudo(self.designer_b).search([]))

    def test_ofx_with_the_national_account_number(self):
        invoice = self._invoice(99.0)
        # FR76 3000 6000 0112 3456 7890 189: bank 30006, branch 00001, account 12345678901.
        data = ofx("12345678901", [{"amount": 99.0, "date": str(self.today), "text": invoice.number,
                                    "ref": "FIT-1"}], bank_id="30006", branch_id="00001")
        summary = self.env["account.bank.statement"].sudo(self.designer_a).webo_import_statement(
            base64.b64encode(data).decode(), "releve.ofx")
        self.assertEqual((summary["lines"], summary["reconciled"]), (1, 1))
        self.assertEqual(invoice.state, "paid")
        self._refused(data, "déjà été importé", filename="releve.ofx")

    def test_into_another_bank_journal_of_the_workspace(self):
        journal = self.env["account.journal"].create({
            "name": "Banque 2", "code": "BNK9", "type": "bank", "company_id": self.workspace_a.id,
            "bank_acc_number": OTHER_ACCOUNT})
        summary = self.env["account.bank.statement"].sudo(self.designer_a).webo_import_statement(
            base64.b64encode(self._camt(iban=OTHER_ACCOUNT)).decode(), "b.xml",
            journal_id=journal.id)
        statement = self.env["account.bank.statement"].browse(summary["statement_ids"])
        self.assertEqual(statement.journal_id, journal)

    def test_not_a_statement(self):
        self._refused(b"Bonjour, ceci est un texte", "ni un relevé CAMT.053")
        self._refused(b"%PDF-1.4 fake", "ni un relevé CAMT.053")
        self._refused(b"<?xml version='1.0'?>"
                      b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'>"
                      b"<Other/></Document>", "n'a pu être lu")
        self._refused(b"<?xml version='1.0'?><facture><camt.053/></facture>", "pas un relevé bancaire CAMT")
        self._refused("pas du base64 !!", "pas encodé en base64")

    def test_iban_of_another_account(self):
        self._refused(self._camt(iban=OTHER_ACCOUNT), "n'est pas un compte de votre espace")
        # Julien's (B) IBAN is his: A cannot import it either.
        journal_b = self.service_b.payment_journal_id
        self._refused(self._camt(), "Choisissez un journal de banque de votre espace",
                      journal_id=journal_b.id)

    def test_currency_other_than_the_journal(self):
        self._refused(self._camt(currency="USD"), "en USD")
        self._refused(self._camt(entry_currency="GBP"), "en GBP")
        data = ofx("12345678901", [{"amount": 5.0, "date": "2026-03-02", "ref": "F1"}], currency="CHF",
                   bank_id="30006", branch_id="00001")
        self._refused(data, "en CHF", filename="r.ofx")

    def test_duplicate_and_overlapping_statements(self):
        data = self._camt()
        first = self.env["account.bank.statement"].sudo(self.designer_a).webo_import_statement(
            base64.b64encode(data).decode(), "mars.xml")
        self.assertEqual(first["lines"], 2)
        self._refused(data, "déjà été importé")
        overlapping = self._camt(statement_id="OTHER", entries=[
            {"amount": 20.0, "date": "2026-03-03", "text": "VIR 2", "ref": "BANKREF-2"},
            {"amount": 30.0, "date": "2026-03-04", "text": "VIR 3", "ref": "BANKREF-3"}])
        self._refused(overlapping, "chevauche")

    def test_truncated_files(self):
        data = self._camt()
        self._refused(data[:len(data) // 2], "pas un fichier XML complet")
        statement = ofx("12345678901", [{"amount": 5.0, "date": "2026-03-02", "ref": "F1"}],
                        bank_id="30006", branch_id="00001")
        self._refused(statement[:len(statement) - 60], "pas un fichier OFX complet", filename="r.ofx")

    def test_entities_are_refused(self):
        xxe = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">&x;</Document>')
        self._refused(xxe, "DTD")

    def test_a_50_mb_file_is_refused_before_decoding(self):
        self._refused("A" * (50 * 1024 * 1024 // 3 * 4), "la limite est de 10 Mo")
        wizard = self.env["webo.bank.statement.import"].sudo(self.designer_a).with_context(lang="fr_FR")
        with self.assertRaises(UserError), self.env.cr.savepoint():
            wizard.create({"data": "A" * (11 * 1024 * 1024 // 3 * 4), "filename": "gros.xml"})

    def test_the_import_screen(self):
        invoice = self._invoice(15.0)
        wizard = self.env["webo.bank.statement.import"].sudo(self.designer_a).create({
            "data": base64.b64encode(self._camt(entries=[
                {"amount": 15.0, "date": str(self.today), "text": invoice.number}])).decode(),
            "filename": "mars.xml"})
        self.assertEqual(wizard.journal_id, self.service_a.payment_journal_id)
        action = wizard.action_import()
        self.assertEqual(action["res_model"], "account.bank.statement")
        self.assertEqual(invoice.state, "paid")
