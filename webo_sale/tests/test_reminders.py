from unittest.mock import patch

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare, mute_logger

from ..models.webo_invoice_reminder import _Renderer
from .common import WeboWorkspaceCase, open_invoice

DUE = "2026-04-01"  # open_invoice's due date


class ReminderCase(WeboWorkspaceCase):
    """Late invoices of workspace A (business client, billing contact) and
    B; the daily run in the test's transaction (``webo_reminder_no_commit``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_a.write({"lang": "fr_FR", "siret": "73282932000074"})
        cls.billing_a = cls.env["res.partner"].create({
            "name": "Service comptable", "type": "invoice", "parent_id": cls.client_a.id,
            "email": "compta@example.com", "company_id": cls.workspace_a.id, "lang": "fr_FR"})
        cls.person_a = cls.env["res.partner"].create({
            "name": "Marie Durand", "customer": True, "email": "marie@example.com",
            "company_id": cls.workspace_a.id, "lang": "fr_FR"})
        cls.client_b.write({"email": "client-b@example.com", "lang": "fr_FR"})

    @classmethod
    def _late(cls, partner=None, company=None, amount=1000.0, **values):
        return open_invoice(cls.env, company or cls.workspace_a, partner or cls.client_a,
                            [("Création du site vitrine", 1, amount, cls.env["account.tax"])],
                            **values)

    def _run(self, day, user=None):
        invoices = self.env["account.invoice"].with_context(webo_reminder_no_commit=True)
        if user:
            return invoices.sudo(user).webo_run_reminders(day)
        return invoices.webo_run_reminders(day)

    def _levels(self, company=None):
        return self.env["webo.reminder.level"].search(
            [("company_id", "=", (company or self.workspace_a).id)])

    def _mails(self, invoice):
        """The reminder emails of the invoice (a payment also emails the
        designer and the client)."""
        return self.env["mail.mail"].search(
            [("mail_message_id", "in", invoice.webo_reminder_ids.mapped("message_id").ids)])


class TestReminderLevels(ReminderCase):

    def test_each_workspace_gets_four_default_levels_in_french(self):
        levels = self._levels().with_context(lang="fr_FR")
        self.assertEqual(levels.mapped("days"), [1, 8, 15, 30])
        self.assertEqual(levels.mapped("name"), ["Relance courtoise", "Relance ferme",
                                                 "Mise en demeure", "Dernier avis"])
        formal = levels[2]
        self.assertIn("{penalty}", formal.body)
        self.assertIn("{indemnity}", formal.body)
        self.assertIn("{payment_link}", levels[0].body)
        self.assertEqual(self._levels(self.workspace_b).mapped("days"), [1, 8, 15, 30])

    def test_designer_edits_a_level_and_the_next_reminder_uses_it(self):
        level = self._levels().sudo(self.designer_a).with_context(lang="fr_FR")[0]
        level.write({"subject": "Petit rappel pour la facture {invoice}", "days": 3})
        invoice = self._late()
        self.assertEqual(self._run("2026-04-03"), 0, "not yet: 2 days late, the first level is now D+3")
        self.assertEqual(self._run("2026-04-04"), 1)
        self.assertEqual(self._mails(invoice).subject, "Petit rappel pour la facture %s" % invoice.number)

    def _assert_refused(self, level, values, fragment):
        before = level.read(["days", "name", "subject", "body"])
        count = self.env["webo.reminder.level"].search_count([])
        with self.assertRaises(ValidationError) as refusal, self.env.cr.savepoint():
            if level:
                level.write(values)
            else:
                self.env["webo.reminder.level"].sudo(self.designer_a).with_context(
                    lang="fr_FR").create(values)
        self.assertIn(fragment, refusal.exception.name)
        level.invalidate_cache()
        self.assertEqual(level.read(["days", "name", "subject", "body"]), before, "nothing written")
        self.assertEqual(self.env["webo.reminder.level"].search_count([]), count, "nothing created")

    def test_bad_values_are_refused_in_french_and_nothing_is_written(self):
        level = self._levels().sudo(self.designer_a).with_context(lang="fr_FR")[1]
        self._assert_refused(level, {"days": -3}, "au moins un jour après l'échéance")
        self._assert_refused(level, {"days": 0}, "au moins un jour après l'échéance")
        self._assert_refused(level, {"days": 15}, "déjà envoyée 15 jours après l'échéance")
        self._assert_refused(level, {"subject": "  "}, "L'objet de la relance « Relance ferme » est vide")
        self._assert_refused(level, {"body": ""}, "Le texte de la relance « Relance ferme » est vide")
        self._assert_refused(level, {"body": "Payez {montant}"}, "{montant}")
        new = self.env["webo.reminder.level"]
        self._assert_refused(new, {"name": "Encore", "days": 8, "subject": "S", "body": "B"},
                             "déjà envoyée 8 jours après l'échéance")

    def test_a_level_already_sent_cannot_be_deleted_but_can_be_archived(self):
        invoice = self._late()
        self._run("2026-04-02")
        level = invoice.webo_reminder_level_id.sudo(self.designer_a).with_context(lang="fr_FR")
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            level.unlink()
        self.assertIn("archivez-les", refusal.exception.name)
        self.assertTrue(level.exists())
        level.active = False
        self.assertEqual(invoice.webo_reminder_ids.level_id, level, "its history stays")

    def test_another_workspace_levels_are_out_of_reach(self):
        level_a = self._levels()[0]
        levels = self.env["webo.reminder.level"].sudo(self.designer_b)
        self.assertNotIn(level_a, levels.search([]))
        with self.assertRaises(AccessError), self.env.cr.savepoint():
            levels.browse(level_a.id).write({"days": 2})
        self.assertEqual(level_a.days, 1)


class TestReminderRun(ReminderCase):

    def test_each_level_is_sent_when_due_and_once(self):
        invoice = self._late()
        self.assertEqual(self._run(DUE), 0, "due today: not late yet")
        sent = []
        for day in ("2026-04-02", "2026-04-02", "2026-04-08", "2026-04-09", "2026-04-15",
                    "2026-04-16", "2026-04-30", "2026-05-01", "2026-06-15"):
            sent.append(self._run(day))
        self.assertEqual(sent, [1, 0, 0, 1, 0, 1, 0, 1, 0])
        reminders = invoice.webo_reminder_ids.sorted("id")
        self.assertEqual(reminders.mapped("level_id.days"), [1, 8, 15, 30])
        self.assertEqual(reminders.mapped("date"), ["2026-04-02", "2026-04-09", "2026-04-16",
                                                    "2026-05-01"])
        self.assertEqual(reminders.mapped("days_late"), [1, 8, 15, 30])
        self.assertEqual(invoice.webo_reminder_level_id.days, 30)
        self.assertEqual(invoice.webo_reminder_date, "2026-05-01")
        self.assertEqual(len(self._mails(invoice)), 4, "one email a level")

    def test_after_downtime_only_the_highest_level_due_is_sent(self):
        invoice = self._late()
        self.assertEqual(self._run("2026-05-10"), 1)
        self.assertEqual(invoice.webo_reminder_ids.level_id.days, 30)
        self.assertEqual(self._run("2026-05-11"), 0, "the lower levels are never sent afterwards")
        self.assertEqual(len(self._mails(invoice)), 1)

    def test_reminder_is_queued_to_the_billing_contact_and_logged_in_the_history(self):
        invoice = self._late()
        due = self.env["account.invoice"].webo_reminders_due("2026-04-03")
        self.assertIn({"invoice_id": invoice.id, "number": invoice.number, "client": "Client de A",
                       "level_id": self._levels()[0].id, "level": self._levels()[0].name,
                       "days_late": 2, "amount_due": 1000.0}, due)
        self._run("2026-04-03")
        mail = self._mails(invoice)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.state, "outgoing", "through Odoo's mail queue")
        self.assertEqual(mail.recipient_ids, self.billing_a)
        self.assertIn(invoice.number, mail.subject)
        self.assertTrue(invoice.webo_payment_url)
        self.assertIn('href="%s"' % invoice.webo_payment_url.replace("&", "&amp;"), mail.body_html)
        self.assertIn("1\N{NO-BREAK SPACE}000,00\N{NO-BREAK SPACE}€", mail.body_html,
                      "the amount due, in French")
        self.assertIn("01/04/2026", mail.body_html, "the due date, in French")
        message = mail.mail_message_id
        self.assertIn(message, invoice.message_ids, "in the invoice's history")
        self.assertEqual(message.subtype_id, self.env.ref("webo_sale.mt_invoice_reminder"))
        self.assertEqual(message.partner_ids, self.billing_a)
        self.assertEqual(message.author_id, self.workspace_a.partner_id)
        reminder = invoice.webo_reminder_ids
        self.assertEqual((reminder.level_id.days, reminder.date, reminder.partner_id, reminder.message_id),
                         (1, "2026-04-03", self.billing_a, message))

    def test_formal_notice_states_penalties_and_the_indemnity_for_business_clients_only(self):
        business = self._late(amount=1000.0)
        person = self._late(partner=self.person_a, amount=1000.0)
        self.assertFalse(person._webo_is_business_client())
        self.assertEqual(self._run("2026-04-16"), 2)
        for invoice in business | person:
            reminder = invoice.webo_reminder_ids
            self.assertEqual(reminder.level_id.days, 15)
            # 1,000 EUR x 10 % a year x 15 / 365 days = 4.109... -> 4.11
            self.assertEqual(float_compare(reminder.penalty, 4.11, precision_digits=2), 0)
            body = self._mails(invoice).body_html
            self.assertIn("Mise en demeure", self._mails(invoice).subject)
            self.assertIn("4,11\N{NO-BREAK SPACE}€", body)
            self.assertIn("10,00 %", body, "the yearly rate")
        self.assertIn("40,00\N{NO-BREAK SPACE}€", self._mails(business).body_html)
        self.assertIn("L441-10", self._mails(business).body_html)
        self.assertNotIn("40,00", self._mails(person).body_html, "no indemnity for a private person")

    def test_a_paid_invoice_gets_no_more_reminders(self):
        invoice = self._late()
        self._run("2026-04-02")
        bank = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_a.id), ("type", "=", "bank")], limit=1)
        invoice.pay_and_reconcile(bank, date="2026-04-05")
        self.assertEqual(invoice.state, "paid")
        self.assertEqual(self._run("2026-04-09"), 0)
        self.assertFalse(self.env["account.invoice"].webo_reminders_due("2026-05-30"))

    def test_a_partly_paid_invoice_is_reminded_of_what_remains(self):
        invoice = self._late()
        bank = self.env["account.journal"].search(
            [("company_id", "=", self.workspace_a.id), ("type", "=", "bank")], limit=1)
        invoice.pay_and_reconcile(bank, pay_amount=400.0, date="2026-04-05")
        self._run("2026-04-09")
        self.assertEqual(invoice.webo_reminder_ids.amount_due, 600.0)
        self.assertIn("600,00\N{NO-BREAK SPACE}€", self._mails(invoice).body_html)

    def test_an_invoice_cancelled_by_credit_note_gets_no_more_reminders(self):
        invoice = self._late()
        self._run("2026-04-02")
        invoice.sudo(self.designer_a).webo_cancel_with_credit_note()
        self.assertEqual(invoice.webo_state, "credited")
        self.assertEqual(self._run("2026-04-20"), 0)

    def test_paused_invoice_or_client_gets_none_until_resumed(self):
        invoice = self._late()
        other = self._late()
        invoice.sudo(self.designer_a).webo_pause_reminders()
        self.assertTrue(invoice.webo_reminder_paused)
        self.assertEqual(self._run("2026-04-02"), 1, "only the other invoice")
        self.assertFalse(invoice.webo_reminder_ids)
        invoice.sudo(self.designer_a).webo_resume_reminders()
        self.assertEqual(self._run("2026-04-03"), 1)
        self.assertTrue(invoice.webo_reminder_ids)
        self.assertIn("Relances suspendues.", invoice.message_ids.mapped(
            lambda m: m.body and m.body.replace("<p>", "").replace("</p>", "")))

        self.client_a.sudo(self.designer_a).webo_pause_reminders()
        self.assertTrue(self.client_a.webo_reminder_paused)
        self.assertEqual(self._run("2026-04-10"), 0, "the client's invoices are all paused")
        self.client_a.sudo(self.designer_a).webo_resume_reminders()
        self.assertEqual(self._run("2026-04-10"), 2)
        self.assertEqual(other.webo_reminder_level_id.days, 8)

    def test_draft_invoice_is_never_reminded_and_cannot_be_paused(self):
        draft = self._create_invoice(self.workspace_a, self.client_a)
        draft.write({"date_invoice": "2026-03-02", "date_due": DUE})
        self.assertFalse(self.env["account.invoice"].webo_reminders_due("2026-05-30"))
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            draft.sudo(self.designer_a).with_context(lang="fr_FR").webo_pause_reminders()
        self.assertIn("n'est pas émise", refusal.exception.name)
        self.assertFalse(draft.webo_reminder_paused)

    def test_another_workspace_cannot_pause_or_run_reminders(self):
        invoice_a = self._late()
        invoice_b = self._late(partner=self.client_b, company=self.workspace_b)
        for record in (invoice_a, self.client_a):
            with self.assertRaises(AccessError) as refusal, self.env.cr.savepoint():
                record.sudo(self.designer_b).with_context(lang="fr_FR").webo_pause_reminders()
            self.assertIn("autre espace", refusal.exception.name)
        self.assertFalse(invoice_a.webo_reminder_paused or self.client_a.webo_reminder_paused)
        due_b = self.env["account.invoice"].sudo(self.designer_b).webo_reminders_due("2026-04-02")
        self.assertEqual([row["invoice_id"] for row in due_b], [invoice_b.id])
        self.assertEqual(self._run("2026-04-02", user=self.designer_b), 1)
        self.assertFalse(invoice_a.webo_reminder_ids, "workspace A's invoice is not touched")
        self.assertTrue(invoice_b.webo_reminder_ids)
        self.assertEqual(self._run("2026-04-02"), 1, "the operator's run: all workspaces")
        self.assertFalse(self.env["webo.invoice.reminder"].sudo(self.designer_b).search(
            [("invoice_id", "=", invoice_a.id)]), "A's history is out of B's reach")

    def test_a_run_ahead_of_time_is_refused(self):
        invoice = self._late()
        with self.assertRaises(UserError) as refusal, self.env.cr.savepoint():
            self.env["account.invoice"].sudo(self.designer_a).with_context(
                lang="fr_FR").webo_run_reminders("2099-01-01")
        self.assertIn("à l'avance", refusal.exception.name)
        self.assertFalse(invoice.webo_reminder_ids)

    def test_a_level_sent_twice_is_stopped_by_the_database(self):
        invoice = self._late()
        reminders = self.env["webo.invoice.reminder"]
        due = reminders._due("2026-04-02")
        self.assertEqual(reminders._send("2026-04-02", due), (1, []))
        # A second run that computed the same work before the first committed.
        self.assertEqual(reminders._send("2026-04-02", due), (0, []))
        self.assertEqual(len(invoice.webo_reminder_ids), 1)
        self.assertEqual(len(self._mails(invoice)), 1)

    def test_client_without_email_is_left_out(self):
        # The address went after the invoice was sent (it needs one to be issued).
        invoice = self._late()
        self.billing_a.email = False
        self.client_a.email = False
        self.assertEqual(self._run("2026-04-02"), 0)
        self.assertFalse(invoice.webo_reminder_ids)
        self.client_a.email = "client@example.com"
        self.assertEqual(self._run("2026-04-02"), 1)

    def test_runs_in_batches(self):
        invoices = self._late() | self._late() | self._late()
        self.assertEqual(self.env["webo.invoice.reminder"].with_context(
            webo_reminder_no_commit=True)._run("2026-04-02", batch_size=2), 3)
        self.assertEqual(len(invoices.mapped("webo_reminder_ids")), 3)

    def test_a_failure_is_told_to_each_designer_in_their_language(self):
        self.env["res.lang"].with_context(active_test=False).search(
            [("code", "=", "en_US")]).active = True
        english = self._create_designer("designer-a-en", self.workspace_a)
        english.lang = "en_US"
        poisoned = self._late()

        def fail(renderer, invoice, *args):
            raise ValueError("unreadable invoice")

        with patch.object(_Renderer, "render", fail), \
                mute_logger("odoo.addons.webo_sale.models.webo_invoice_reminder"):
            self.assertEqual(self._run("2026-04-02"), 0)
        notes = {partner: poisoned.message_ids.filtered(
            lambda message, partner=partner: partner in message.needaction_partner_ids)
            for partner in (self.designer_a.partner_id, english.partner_id)}
        self.assertEqual([len(note) for note in notes.values()], [1, 1], "one note each")
        self.assertIn("n'a pas pu être envoyée", notes[self.designer_a.partner_id].body)
        self.assertIn("could not be sent", notes[english.partner_id].body)
        self.assertIn("unreadable invoice", notes[english.partner_id].body)

    def test_a_failing_invoice_is_logged_and_the_others_are_reminded(self):
        first, poisoned, last = self._late(), self._late(), self._late()
        render = _Renderer.render

        def render_or_fail(renderer, invoice, *args):
            if invoice.id == poisoned.id:
                raise ValueError("unreadable invoice")
            return render(renderer, invoice, *args)

        with patch.object(_Renderer, "render", render_or_fail), \
                mute_logger("odoo.addons.webo_sale.models.webo_invoice_reminder"):
            self.assertEqual(self._run("2026-04-02"), 2)
        self.assertEqual(len(first.webo_reminder_ids), 1)
        self.assertEqual(len(last.webo_reminder_ids), 1)
        self.assertFalse(poisoned.webo_reminder_ids, "nothing half-written")
        log = poisoned.message_ids[0]
        self.assertIn("n'a pas pu être envoyée", log.body)
        self.assertIn("unreadable invoice", log.body)
        self.assertIn(self.designer_a.partner_id, log.needaction_partner_ids)
        # The next run sends it.
        self.assertEqual(self._run("2026-04-02"), 1)
        self.assertEqual(len(poisoned.webo_reminder_ids), 1)
