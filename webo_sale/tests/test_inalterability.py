from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError

from ..models.webo_issued_guard import ALTERABLE_AFTER_ISSUE
from .common import open_invoice
from .test_invoice_wizard import InvoiceWizardCase


def days_from_today(days):
    return fields.Date.to_string(date.today() + timedelta(days=days))


class TestIssuedInvoiceGuard(InvoiceWizardCase):
    """Once it has its number, an invoice, its lines, taxes and journal
    entry stay as issued, whoever writes (the designer, the superuser of
    the platform's own code): only the fields of ALTERABLE_AFTER_ISSUE
    change, and only a credit note balances it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        wizard = cls._wizard(lines=((2.0, 100.0),))
        wizard.action_send()
        cls.invoice = wizard.invoice_id
        cls.number = cls.invoice.number
        cls.other_client = cls._create_client("Autre client de A", cls.workspace_a)

    def assertRefused(self, records, method, *args):
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            getattr(records, method)(*args)
        message = str(refusal.exception)
        self.assertIn(self.number, message)
        self.assertIn("avoir", message, "the French message names the credit note")
        return message

    def test_every_user_is_refused_a_change_of_what_was_issued(self):
        changes = [{"state": "draft"}, {"state": "cancel"}, {"number": "HACK/0001"},
                   {"move_name": "HACK/0001"}, {"date_invoice": "2020-01-01"},
                   {"date_due": days_from_today(90)}, {"partner_id": self.other_client.id},
                   {"name": "Autre chose"}, {"amount_total": 1.0}, {"residual": 0.0},
                   {"access_token": "x"}, {"comment": "ajout"}, {"journal_id": False},
                   {"invoice_line_ids": [(5,)]}, {"webo_period_start": "2026-01-01"}]
        for user in (self.designer_a, self.env.ref("base.user_root")):
            for values in changes:
                with self.subTest(user=user.login, values=values):
                    message = self.assertRefused(self.invoice.sudo(user), "write", values)
                    self.assertIn("ne peut plus changer", message)
        self.invoice.invalidate_cache()
        self.assertEqual((self.invoice.state, self.invoice.number, self.invoice.partner_id),
                         ("open", self.number, self.client_a))
        self.assertAlmostEqual(self.invoice.amount_untaxed, 200.0, places=2)

    def test_lines_taxes_and_journal_entry_are_refused_too(self):
        line = self.invoice.invoice_line_ids
        self.assertIn("Prix unitaire", self.assertRefused(line, "write", {"price_unit": 1.0}))
        self.assertRefused(line, "write", {"quantity": 20.0})
        self.assertRefused(line, "unlink")
        self.assertRefused(line, "create", {"invoice_id": self.invoice.id, "name": "Ajout",
                                            "quantity": 1, "price_unit": 10.0,
                                            "account_id": line.account_id.id})
        move = self.invoice.move_id
        self.assertRefused(move, "write", {"ref": "autre"})
        receivable = move.line_ids.filtered(lambda item: item.account_id == self.invoice.account_id)
        for values in ({"debit": 1.0}, {"date_maturity": "2020-01-01"}, {"name": "autre"},
                       {"partner_id": self.other_client.id}):
            self.assertRefused(receivable.sudo(), "write", values)
        self.assertEqual(self.invoice.invoice_line_ids.price_unit, 100.0)
        self.assertAlmostEqual(receivable.debit, self.invoice.amount_total, places=2)

    def test_tax_lines_are_refused(self):
        julien_like = self._create_workspace("Atelier C (TVA)")
        client = self._create_client("Client de C", julien_like)
        invoice = open_invoice(self.env, julien_like, client,
                               [("Site", 1, 100.0, julien_like._webo_default_sale_tax())],
                               date_invoice=fields.Date.context_today(client))
        tax_line = invoice.tax_line_ids
        self.assertTrue(tax_line)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            tax_line.write({"amount": 0.0})
        with self.assertRaises(UserError), self.env.cr.savepoint():
            tax_line.unlink()
        self.assertAlmostEqual(invoice.amount_tax, 20.0, places=2)

    def test_allowed_fields_still_change(self):
        invoice = self.invoice.sudo(self.designer_a)
        invoice.write({"sent": False})
        invoice.write({"sent": True, "webo_reminder_paused": True})
        invoice.message_post(body="Note interne")
        invoice.message_subscribe(partner_ids=self.other_client.ids)
        self.assertTrue(self.invoice.webo_reminder_paused)
        self.assertEqual(set(ALTERABLE_AFTER_ISSUE["account.invoice"]) & {"partner_id", "amount_total"},
                         set(), "what was issued is not in the list")

    def test_state_follows_reconciliation_only(self):
        # Paid by a plain write, without a payment: refused.
        self.assertRefused(self.invoice.sudo(self.designer_a), "write", {"state": "paid"})
        self.assertEqual(self.invoice.state, "open")

    def test_credit_note_link_only_to_its_own_credit_note(self):
        other = self._wizard(lines=((1.0, 50.0),))
        other.action_send()
        credit_note_id = other.invoice_id.webo_cancel_with_credit_note()
        with self.assertRaises(ValidationError), self.env.cr.savepoint():
            self.invoice.sudo(self.designer_a).write({"webo_credit_note_id": credit_note_id})
        self.assertFalse(self.invoice.webo_credit_note_id)
        self.assertEqual(other.invoice_id.webo_credit_note_id.id, credit_note_id)
        self.assertEqual(other.invoice_id.webo_state, "credited")

    def test_payment_and_credit_note_still_work(self):
        credit_note = self.env["account.invoice"].browse(
            self.invoice.sudo(self.designer_a).webo_cancel_with_credit_note())
        self.assertEqual(self.invoice.state, "paid")
        self.assertEqual(credit_note.state, "paid")
        # The credit note is issued too.
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            credit_note.write({"amount_total": 1.0})
        self.assertIn("Avoir %s" % credit_note.number, str(refusal.exception))

    def test_a_draft_invoice_still_changes(self):
        draft = self._create_invoice(self.workspace_a, self.client_a)
        draft.write({"name": "Autre libellé", "partner_id": self.other_client.id})
        draft.invoice_line_ids.write({"price_unit": 42.0})
        self.assertAlmostEqual(draft.amount_total, 42.0, places=2)


class TestChronology(InvoiceWizardCase):
    """Invoices are numbered in the order of their dates: none in the
    future, none before the last one issued in its journal."""

    def _refused_date(self, **values):
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            self._wizard(**values).action_send()
        self.assertFalse(self._invoices(), "nothing issued")
        return str(refusal.exception)

    def test_an_invoice_in_the_future_is_refused(self):
        tomorrow = days_from_today(1)
        message = self._refused_date(date_invoice=tomorrow, date_due=days_from_today(31))
        self.assertIn("n'est pas permise", message)
        self.assertIn(fields.Date.from_string(self.today).strftime("%d/%m/%Y"), message,
                      "the range ends today")

    def test_an_invoice_before_the_last_issued_one_is_refused(self):
        self._wizard(date_invoice=days_from_today(-3), date_due=days_from_today(27)).action_send()
        issued = self._invoices()
        message = self._refused_wizard_after(issued, date_invoice=days_from_today(-5),
                                             date_due=days_from_today(25))
        self.assertIn(fields.Date.from_string(days_from_today(-3)).strftime("%d/%m/%Y"), message,
                      "the range starts at the last issued invoice's date")
        # The same day, or later, is fine.
        self._wizard(date_invoice=days_from_today(-3), date_due=days_from_today(27)).action_send()
        self.assertEqual(len(self._invoices()), 2)

    def _refused_wizard_after(self, issued, **values):
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            self._wizard(**values).action_next()
        self.assertEqual(self._invoices(), issued)
        return str(refusal.exception)

    def test_validation_itself_refuses_a_date_out_of_order(self):
        self._wizard().action_send()
        draft = self._create_invoice(self.workspace_a, self.client_a)
        draft.date_invoice = days_from_today(-10)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            draft.action_invoice_open()
        self.assertEqual(draft.state, "draft")
        self.assertFalse(draft.move_name)

    def test_another_journal_has_its_own_order(self):
        self._wizard().action_send()
        client_b = self.client_b
        invoice = self._create_invoice(self.workspace_b, client_b)
        invoice.date_invoice = days_from_today(-10)
        invoice.action_invoice_open()
        self.assertTrue(invoice.number)


class TestPaymentDates(InvoiceWizardCase):

    def test_payment_dates_from_the_invoice_date_to_today(self):
        wizard = self._wizard(date_invoice=days_from_today(-2), date_due=days_from_today(28))
        wizard.action_send()
        invoice = wizard.invoice_id.sudo(self.designer_a)
        for day in (days_from_today(1), days_from_today(-3), "9999-12-31"):
            with self.subTest(day=day), self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
                invoice.webo_register_payment(10.0, payment_date=day)
            self.assertIn("date du paiement", str(refusal.exception).lower())
        self.assertFalse(invoice.payment_ids)
        invoice.webo_register_payment(10.0, payment_date=days_from_today(-2))
        self.assertAlmostEqual(invoice.residual, invoice.amount_total - 10.0, places=2)

    def test_a_cancelled_payment_is_reversed_not_deleted(self):
        wizard = self._wizard()
        wizard.action_send()
        invoice = wizard.invoice_id
        payment = self.env["account.payment"].browse(
            invoice.sudo(self.designer_a).webo_register_payment(invoice.amount_total))
        moves = payment.move_line_ids.mapped("move_id")
        self.assertEqual(invoice.state, "paid")
        payment.cancel()  # (unreconciling needs the full accounting rights)
        self.assertEqual(payment.state, "cancelled")
        self.assertEqual(invoice.state, "open", "due again")
        self.assertAlmostEqual(invoice.residual, invoice.amount_total, places=2)
        self.assertTrue(moves.exists(), "the payment's entry stays in the books")
        reversal = self.env["account.move"].search([("ref", "like", moves.name)])
        self.assertEqual(len(reversal), 1)
        self.assertEqual(reversal.state, "posted")
        report = self.env["webo.integrity.check"].sudo(self.designer_a).webo_check_integrity()
        self.assertTrue(report["intact"], report["report"])


class TestIntegrityCheck(InvoiceWizardCase):
    """l10n_fr_certification chains the workspace's posted entries; the
    check finds what a direct SQL update changed."""

    def _check(self, user=None, company_id=None):
        return self.env["webo.integrity.check"].sudo(user or self.designer_a).webo_check_integrity(company_id)

    def test_nothing_yet_then_intact_then_altered(self):
        report = self._check()
        self.assertTrue(report["intact"])
        self.assertEqual(report["entries"], 0)
        for _index in range(2):
            self._wizard().action_send()
        invoices = self._invoices()
        report = self._check()
        self.assertTrue(report["intact"], report["report"])
        self.assertEqual(report["entries"], 2)
        self.assertEqual(report["first"]["name"], min(invoices.mapped("number")))
        self.assertIn("Intègre", report["report"])
        # Someone changes an amount in the database, behind Odoo's back.
        line = invoices[0].move_id.line_ids.filtered("debit")[:1]
        self.env.cr.execute("UPDATE account_move_line SET debit = debit + 100 WHERE id = %s", [line.id])
        self.env.clear()
        report = self._check()
        self.assertFalse(report["intact"])
        self.assertEqual([entry["name"] for entry in report["altered"]], [line.move_id.name])
        self.assertIn("ALTÉRÉ", report["report"])

    def test_wizard_shows_the_report(self):
        self._wizard().action_send()
        wizard = self.env["webo.integrity.check"].sudo(self.designer_a).create({})
        self.assertEqual(wizard.company_id, self.workspace_a)
        wizard.action_check()
        self.assertEqual(wizard.state, "intact")
        self.assertEqual(wizard.entry_count, 1)
        self.assertIn(self.workspace_a.name, wizard.report)

    def test_a_designer_checks_their_own_books_only(self):
        with self.assertRaises(AccessError):
            self._check(company_id=self.workspace_b.id)
        operator = self.env["res.users"].with_context(no_reset_password=True).create({
            "name": "Opérateur", "login": "operateur_integrite", "lang": "fr_FR",
            "groups_id": [(6, 0, self.env.ref("webo_sale.group_platform_operator").ids)]})
        self.assertTrue(self._check(operator, self.workspace_b.id)["intact"])
        with self.assertRaises(UserError):
            self._check(company_id="abc")
