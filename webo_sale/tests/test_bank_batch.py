"""A statement's sure matches are reconciled as one batch (Odoo's
recomputations written once for the batch, the payments followed up once
its books are written): the books and messages come out exactly as when
each line goes through Odoo's process_reconciliation on its own, the
receipts and settlements right after it.

The same statement is matched twice from the same state (a savepoint
rolled back in between): through the batch, then line by line; every
entry, journal item, payment, reconciliation, invoice, statement line,
bank account and message it made is compared field by field."""
from unittest.mock import patch

from ..models import account_bank_statement_line
from .test_bank_matching import BankCase

NEW_IBAN = "FR7630004000031234567890143"


class TestBatchEqualsLineByLine(BankCase):

    def _statement(self, entries):
        """A statement of A's payment-receiving account, not yet matched."""
        journal = self.service_a.payment_journal_id
        return self.env["account.bank.statement"].sudo().create({
            "name": "Relevé jumeau", "journal_id": journal.id, "date": str(self.today),
            "line_ids": [(0, 0, dict({"date": str(self.today), "partner_name": "SARL X",
                                      "unique_import_id": "twin-%d" % index}, **entry))
                         for index, entry in enumerate(entries)]})

    def _created_since(self, model, last_id):
        return self.env[model].sudo().search([("id", ">", last_id)], order="id")

    def _last_ids(self):
        models = ("account.move", "account.move.line", "account.payment", "account.partial.reconcile",
                  "account.full.reconcile", "mail.message", "mail.mail", "mail.followers",
                  "res.partner.bank", "webo.bank.match")
        ids = {}
        for model in models:
            self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM %s" % self.env[model]._table)
            ids[model] = self.env.cr.fetchone()[0]
        return ids

    def _snapshot(self, statement, invoices, since):
        """What matching the statement wrote, with the ids that differ
        between two runs (the database's id sequences go on) replaced by
        what the records are."""
        self.env["account.move"].invalidate_cache()  # the whole cache
        moves = self._created_since("account.move", since["account.move"])
        lines = self._created_since("account.move.line", since["account.move.line"])
        payments = self._created_since("account.payment", since["account.payment"])
        line_key = {line.id: ("new", line.move_id.name, line.name, line.debit, line.credit)
                    for line in lines}
        for invoice in invoices:
            for line in invoice.move_id.line_ids:
                line_key[line.id] = ("invoice", invoice.number, line.account_id.code, line.debit, line.credit)

        def record(rec, names):
            values = []
            for name in names:
                value = rec[name]
                field = rec._fields[name]
                if field.type == "many2one" and field.comodel_name == "account.move.line":
                    value = line_key.get(value.id, value.id)
                elif field.type == "many2one" and field.comodel_name in ("account.move", "account.payment"):
                    value = value.name
                elif field.type == "many2one" and field.comodel_name == "account.full.reconcile":
                    value = bool(value)
                elif field.type in ("many2one", "one2many", "many2many"):
                    value = tuple(sorted(value.ids))
                values.append((name, value))
            return tuple(values)

        move_fields = ["name", "ref", "date", "journal_id", "company_id", "state", "partner_id", "amount",
                       "matched_percentage", "l10n_fr_secure_sequence_number"]
        line_fields = ["move_id", "name", "ref", "date", "date_maturity", "account_id", "partner_id",
                       "debit", "credit", "balance", "amount_residual", "reconciled", "full_reconcile_id",
                       "payment_id", "statement_id", "statement_line_id", "invoice_id", "journal_id",
                       "user_type_id", "company_id", "currency_id", "amount_currency"]
        payment_fields = ["name", "state", "payment_type", "partner_type", "partner_id", "amount",
                          "currency_id", "journal_id", "payment_date", "communication",
                          "payment_reference", "payment_method_id", "invoice_ids"]
        invoice_fields = ["state", "residual", "residual_signed", "reconciled", "payment_ids",
                          "payment_move_line_ids"]
        statement_line_fields = ["sequence", "move_name", "partner_id", "webo_match_state",
                                 "webo_match_rule", "journal_entry_ids"]
        snapshot = {
            "moves": sorted(record(move, move_fields) for move in moves),
            "move lines": sorted(record(line, line_fields) for line in lines),
            "payments": sorted(record(payment, payment_fields) for payment in payments),
            "partials": sorted(record(part, ["debit_move_id", "credit_move_id", "amount", "full_reconcile_id",
                                             "company_id", "max_date"])
                               for part in self._created_since("account.partial.reconcile",
                                                               since["account.partial.reconcile"])),
            "full reconciles": sorted(
                tuple(sorted(line_key.get(i, i) for i in full.reconciled_line_ids.ids))
                for full in self._created_since("account.full.reconcile", since["account.full.reconcile"])),
            "invoices": [(invoice.number, record(invoice, [f for f in invoice_fields if "_ids" not in f]),
                          sorted(invoice.payment_ids.mapped("name")),
                          sorted(line_key.get(i, i) for i in invoice.payment_move_line_ids.ids))
                         for invoice in invoices],
            "statement lines": [(*record(line, statement_line_fields[:-1]),
                                 sorted(line.journal_entry_ids.mapped("move_id.name")))
                                for line in statement.line_ids.sorted("id")],
            "matches": [(match.statement_line_id.id, match.state, match.rule, tuple(match.invoice_ids.ids))
                        for match in self._created_since("webo.bank.match", since["webo.bank.match"])],
            "bank accounts": sorted((bank.sanitized_acc_number, bank.partner_id.id, bank.company_id.id)
                                    for bank in self._created_since("res.partner.bank",
                                                                    since["res.partner.bank"])),
            "followers": sorted(
                (follower.res_model, follower.res_id if follower.res_model == "account.invoice" else 0,
                 follower.partner_id.id, tuple(sorted(follower.subtype_ids.ids)))
                for follower in self._created_since("mail.followers", since["mail.followers"])),
            "emails": sorted((mail.subject, mail.body_html, tuple(sorted(mail.recipient_ids.ids)),
                              mail.email_to, mail.state)
                             for mail in self._created_since("mail.mail", since["mail.mail"])),
        }
        messages = {}
        for message in self._created_since("mail.message", since["mail.message"]):
            if message.model == "account.payment":
                where = ("account.payment", self.env["account.payment"].browse(message.res_id).name)
            elif message.model == "account.invoice":
                where = ("account.invoice", message.res_id)
            else:
                where = (message.model, message.res_id if message.model != "account.bank.statement"
                         else "statement")
            messages.setdefault(where, []).append((
                message.message_type, message.subtype_id.id, message.subject, message.body,
                message.author_id.id, tuple(sorted(message.partner_ids.ids)),
                tuple(sorted(message.needaction_partner_ids.ids)),
                tuple((value.field, value.old_value_char, value.new_value_char, value.old_value_integer,
                       value.new_value_integer, value.old_value_float, value.new_value_float)
                      for value in message.tracking_value_ids.sorted("id"))))
        # The order of the messages of each document, not of all of them.
        snapshot["messages"] = {where: sorted(found) if where[0] == "account.payment" else found
                                for where, found in messages.items()}
        return snapshot

    def _check_hash_chain(self, company):
        """The inalterability chain of the workspace: continuous numbers,
        each hash computed from the previous one."""
        moves = self.env["account.move"].sudo().search(
            [("company_id", "=", company.id), ("l10n_fr_secure_sequence_number", "!=", 0)],
            order="l10n_fr_secure_sequence_number")
        self.assertTrue(moves)
        previous = moves[0]
        if previous.l10n_fr_secure_sequence_number == 1:
            self.assertEqual(previous.l10n_fr_hash, previous._compute_hash(""))
        for move in moves[1:]:
            self.assertEqual(move.l10n_fr_secure_sequence_number, previous.l10n_fr_secure_sequence_number + 1)
            self.assertEqual(move.l10n_fr_hash, move._compute_hash(previous.l10n_fr_hash))
            previous = move

    def test_batch_books_the_statement_as_line_by_line(self):
        self.maxDiff = None
        first = self._invoice(480.0, days_ago=3)
        second = self._invoice(120.5, days_ago=2)
        third = self._invoice(99.99, days_ago=2)
        twice = self._invoice(300.0, days_ago=1)
        theirs = self._invoice(250.0, client=self.other_client)
        other_open = self._invoice(75.0, client=self.other_client)
        invoices = first | second | third | twice | theirs | other_open
        statement = self._statement([
            {"amount": 480.0, "name": "Facture %s merci" % first.number, "webo_payer_iban": NEW_IBAN},
            # One transfer, two invoices of the client.
            {"amount": 220.49, "name": "%s et %s" % (second.number, third.number.replace("/", " ")),
             "webo_payer_iban": NEW_IBAN},
            # Part of an invoice, then the rest.
            {"amount": 100.0, "name": "acompte %s" % twice.number, "partner_name": "BOULANGERIE DUPONT"},
            {"amount": 200.0, "name": "solde %s" % twice.number, "partner_name": "BOULANGERIE DUPONT"},
            {"amount": 250.0, "name": "REGLT %s" % theirs.number.lower(), "partner_name": "LES LILAS"},
            # Not matched: a debit and a transfer without anything to tell.
            {"amount": -40.0, "name": "Frais bancaires"},
            {"amount": 33.0, "name": "Virement"},
        ])
        lines = statement.line_ids.sorted("id")
        self.env["account.move"].invalidate_cache()  # the whole cache
        self.env.cr.execute("SAVEPOINT webo_twin")
        since = self._last_ids()
        # Batches of 2 invoices at most: the statement makes several, ended
        # by their size and by a line paying an invoice its batch paid.
        with patch.object(account_bank_statement_line, "BATCH_INVOICES", 2):
            lines._webo_match()
        batch = self._snapshot(statement, invoices, since)
        self._check_hash_chain(self.workspace_a)
        self.env.cr.execute("ROLLBACK TO SAVEPOINT webo_twin")
        self.env.clear()

        since = self._last_ids()
        # Line by line: each sure match through process_reconciliation,
        # followed by its receipt, before the next line.
        single = lines.sudo().with_context(webo_summary_alert=True)
        incoming = single.filtered(lambda line: line.amount > 0)
        single.filtered(lambda line: line.amount <= 0).write({"webo_match_state": "debit"})
        currency = self.workspace_a.currency_id
        workspace = incoming._webo_workspace(self.workspace_a, currency, incoming)
        for line in incoming:
            line._webo_apply(workspace, workspace.decide(line._webo_as_match_line(currency)))
        statement.sudo()._webo_alert_payments(incoming.filtered(
            lambda line: line.webo_match_state == "reconciled"))
        by_line = self._snapshot(statement, invoices, since)
        self._check_hash_chain(self.workspace_a)

        # What the statement did, so that the comparison compares something.
        self.assertEqual([dict(line[:-1])["webo_match_state"] for line in by_line["statement lines"]],
                         ["reconciled"] * 5 + ["debit", "unmatched"])
        self.assertEqual([inv[1][0][1] for inv in by_line["invoices"]],
                         ["paid", "paid", "paid", "paid", "paid", "open"])
        self.assertEqual(len(by_line["moves"]), 5)
        self.assertEqual(len(by_line["payments"]), 5)
        self.assertEqual(len(by_line["bank accounts"]), 1)
        receipts = [message for found in by_line["messages"].values() for message in found
                    if message[1] == self.env.ref("webo_sale.mt_payment_receipt").id]
        self.assertEqual(len(receipts), 6)
        for key in by_line:
            with self.subTest(what=key):
                self.assertEqual(batch[key], by_line[key])
