"""Relevés bancaires: a bank statement file (CAMT.053 or OFX) of one of
the workspace's bank accounts becomes a statement of its journal, and its
credit lines are matched with the open invoices they pay (see
``account.bank.statement.line._webo_match``). Refused with nothing
written: a file that is not a complete CAMT/OFX statement, too large, of
another account or currency, or imported already."""
import base64
import binascii
import hashlib

from stdnum import iban as stdnum_iban

from odoo import _, api, fields, models
from odoo.addons.base.res.res_bank import sanitize_account_number
from odoo.addons.base_iban.models.res_partner_bank import _map_iban_template
from odoo.exceptions import UserError
from odoo.tools import html_escape

from ..tools import check_upload_size
from ..wizards.account_bank_statement_import import MAX_STATEMENT_SIZE
from .webo_api import public_method


class AccountBankStatement(models.Model):
    _inherit = "account.bank.statement"

    webo_file_sha256 = fields.Char(
        string="File Fingerprint", readonly=True, copy=False, index=True,
        help="SHA-256 of the imported file: the same file is not imported twice.")
    webo_file_name = fields.Char(string="Imported File", readonly=True, copy=False)
    webo_reconciled_count = fields.Integer(
        string="Reconciled", compute="_compute_webo_match_counts",
        help="Credit lines matched with the invoices they pay and reconciled.")
    webo_proposed_count = fields.Integer(
        string="To Confirm", compute="_compute_webo_match_counts",
        help="Credit lines with a likely invoice, waiting for your confirmation.")
    webo_unmatched_count = fields.Integer(
        string="Unmatched", compute="_compute_webo_match_counts",
        help="Credit lines no invoice was found for.")

    def _compute_webo_match_counts(self):
        for statement in self:
            states = statement.line_ids.mapped("webo_match_state")
            statement.webo_reconciled_count = states.count("reconciled")
            statement.webo_proposed_count = states.count("proposed")
            statement.webo_unmatched_count = states.count("unmatched")

    @api.model
    @public_method
    def webo_import_statement(self, content, filename=None, journal_id=None):
        """Import a bank statement file (CAMT.053 or OFX, base64) into a
        bank journal of the user's workspace (by default the one whose IBAN
        the file names), then match its credit lines with the open
        invoices. Returns {statement_ids, lines, reconciled, proposed,
        unmatched}."""
        checks = self.env["webo.api"]
        if not isinstance(content, bytes):
            checks._check_text(content, _("The statement file (base64)"))
        checks._check_text(filename, _("The file name"), required=False)
        checks._check_id(journal_id, _("The journal"), required=False)
        statements = self._webo_import(content, filename or _("the statement"), journal_id)
        return statements._webo_summary()

    @api.multi
    def action_webo_open_proposals(self):
        self.ensure_one()
        action = self.env.ref("webo_sale.webo_bank_match_action").read()[0]
        action["domain"] = [("statement_id", "=", self.id)]
        action["context"] = {"search_default_proposed": 1}
        return action

    def _webo_alert_payments(self, lines):
        """One alert to the workspace's designers (email and Odoo
        notification, as each of them chose, in their language) listing the
        payments this statement's ``lines`` were just reconciled as: each
        invoice, the amount it received and what remains due."""
        self.ensure_one()
        designers = self.company_id._webo_designers()
        for local, partners in designers._webo_by_language(self.sudo()):
            subject, body = local._webo_payments_alert_text(lines.with_env(local.env))
            message = local.message_post(
                subject=subject, body=body, subtype="webo_sale.mt_payment_received",
                message_type="notification", partner_ids=partners.ids)
            self.env["account.invoice"]._webo_keep_in_inbox(message, partners)

    def _webo_payments_alert_text(self, lines):
        """The summary alert's subject and body, in the context's language:
        a sentence per invoice paid, as the alert of a single payment says it."""
        items = []
        # Read together, not an invoice and a journal item at a time.
        lines.mapped("journal_entry_ids.matched_debit_ids.debit_move_id.invoice_id")
        lines.mapped("webo_match_ids.invoice_ids.commercial_partner_id.name")
        for line in lines:
            payments = line.journal_entry_ids.mapped("payment_id")
            for invoice in line.webo_match_ids.filtered(lambda match: match.state == "auto").invoice_ids:
                received = sum(part.amount for item in line.journal_entry_ids
                               for part in item.matched_debit_ids
                               if part.debit_move_id.invoice_id == invoice)
                items.append(invoice._webo_payment_alert_body(
                    received, invoice._webo_payment_method_label(payments[:1])))
        subject = _("Payments received: %(count)d in statement %(statement)s") % {
            "count": len(items), "statement": self.name}
        body = "<p>%s</p><ul>%s</ul>" % (
            html_escape(_("The transfers of statement %(statement)s paid these invoices:")
                        % {"statement": self.name}),
            "".join("<li>%s</li>" % html_escape(item) for item in items))
        return subject, body

    @api.model
    def _webo_import(self, content, filename, journal_id=None):
        """The statements made from the file (base64), their lines matched."""
        check_upload_size(self, content, MAX_STATEMENT_SIZE, filename)
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError, TypeError):
            raise UserError(_("%(file)s is not base64 encoded: send the file's content in base64.")
                            % {"file": filename}) from None
        company = self._webo_importing_company()
        parser = self.env["account.bank.statement.import"]
        _kind, stated, (currency_code, account_number, statements) = parser._webo_parse(data, filename)
        journal = self._webo_import_journal(company, journal_id, stated, account_number, filename)
        self._webo_check_currency(journal, stated, currency_code, filename)
        fingerprint = hashlib.sha256(data).hexdigest()
        self._webo_check_not_imported(journal, fingerprint, filename)
        values = self._webo_statement_values(journal, statements, filename, fingerprint)
        self._webo_check_new_lines(values, filename)
        created = self.sudo().browse()
        for statement in values:
            created |= created.create(statement)
        created.mapped("line_ids")._webo_match()
        return created.sudo(self.env.uid)

    @api.model
    def _webo_importing_company(self):
        user = self.env.user
        allowed = user.has_group("webo_sale.group_designer") or user.has_group(
            "webo_sale.group_platform_operator")
        if not allowed or not user.company_id.webo_workspace:
            raise UserError(_("Bank statements are imported by a designer, into their workspace."))
        return user.company_id

    @api.model
    def _webo_import_journal(self, company, journal_id, stated, account_number, filename):
        """The workspace's bank journal the statement belongs to: the one
        asked for, which must hold the statement's account, else the one
        whose IBAN the file names."""
        accounts = set(stated["accounts"]) | ({sanitize_account_number(account_number).upper()}
                                              if account_number else set())
        if len(accounts) != 1:
            raise UserError(_(
                "%(file)s does not name exactly one bank account (%(accounts)s): import the "
                "statement of one account at a time."
            ) % {"file": filename, "accounts": ", ".join(sorted(accounts)) or _("none")})
        account = accounts.pop()
        journals = self.env["account.journal"].sudo().search(
            [("company_id", "=", company.id), ("type", "=", "bank")])
        if journal_id:
            journal = journals.filtered(lambda j: j.id == journal_id)
            if not journal:
                raise UserError(_("Choose a bank journal of your workspace to import the statement into."))
            if not self._webo_same_account(journal, account):
                raise UserError(_(
                    "%(file)s is the statement of the account %(account)s, not of the journal "
                    "%(journal)s (%(iban)s): choose the journal of that account."
                ) % {"file": filename, "account": account, "journal": journal.name,
                     "iban": journal.bank_account_id.acc_number or _("no IBAN")})
            return journal
        journal = journals.filtered(lambda j: self._webo_same_account(j, account))[:1]
        if not journal:
            raise UserError(_(
                "%(file)s is the statement of the account %(account)s, which is not an account of "
                "your workspace: import the statements of your payment-receiving account (or of "
                "another bank journal of your workspace holding its IBAN)."
            ) % {"file": filename, "account": account})
        return journal

    @api.model
    def _webo_same_account(self, journal, account):
        """Whether ``account`` (as a statement gives it: the IBAN, or for
        OFX the national account number) is the journal's IBAN."""
        iban = (journal.bank_account_id.sanitized_acc_number or "").upper()
        if not iban or not account:
            return False
        if account == iban or (stdnum_iban.is_valid(iban) and account == iban[4:]):
            return True
        template = _map_iban_template.get(iban[:2].lower(), "").replace(" ", "")
        national = "".join(char for char, kind in zip(iban, template, strict=False) if kind == "C")
        return bool(national) and account.lstrip("0") == national.lstrip("0")

    @api.model
    def _webo_check_currency(self, journal, stated, currency_code, filename):
        expected = (journal.currency_id or journal.company_id.currency_id).name
        given = set(stated["currencies"]) | ({currency_code.upper()} if currency_code else set())
        other = sorted(given - {expected})
        if other:
            raise UserError(_(
                "%(file)s is in %(currency)s but the journal %(journal)s keeps its accounts in "
                "%(expected)s: import it into a journal in %(currency)s."
            ) % {"file": filename, "currency": ", ".join(other), "journal": journal.name,
                 "expected": expected})

    @api.model
    def _webo_check_not_imported(self, journal, fingerprint, filename):
        previous = self.sudo().search([("webo_file_sha256", "=", fingerprint),
                                       ("journal_id", "=", journal.id)], limit=1)
        if previous:
            raise UserError(_(
                "%(file)s has already been imported (statement %(statement)s of %(date)s): "
                "nothing was imported again."
            ) % {"file": filename, "statement": previous.name, "date": previous.date})

    @api.model
    def _webo_statement_values(self, journal, statements, filename, fingerprint):
        """The statements' values, each line with an import id that names
        it for good (the bank's reference, else its content and rank)."""
        account = sanitize_account_number(journal.bank_account_id.acc_number or "")
        values = []
        for statement in statements:
            seen = {}
            lines = []
            for transaction in statement["transactions"]:
                unique = transaction.get("unique_import_id")
                if not unique:
                    content = "|".join(str(transaction.get(key) or "") for key in (
                        "date", "amount", "name", "ref", "account_number", "partner_name"))
                    digest = hashlib.sha1(content.encode()).hexdigest()[:16]
                    seen[digest] = seen.get(digest, 0) + 1
                    unique = "webo-%s-%d" % (digest, seen[digest])
                lines.append((0, 0, {
                    "date": transaction["date"],
                    "name": transaction.get("webo_remittance") or transaction.get("name") or "/",
                    "ref": transaction.get("ref"),
                    "note": transaction.get("note"),
                    "amount": transaction["amount"],
                    "partner_name": transaction.get("partner_name"),
                    "webo_payer_iban": transaction.get("account_number"),
                    "unique_import_id": "%s-%d-%s" % (account, journal.id, unique),
                }))
            if not lines:
                continue
            values.append({
                "name": statement.get("name") or filename,
                "date": statement.get("date") or max(line[2]["date"] for line in lines),
                "journal_id": journal.id,
                "balance_start": statement.get("balance_start", 0.0),
                "balance_end_real": statement.get("balance_end_real", 0.0),
                "webo_file_name": filename,
                "webo_file_sha256": fingerprint,
                "line_ids": lines,
            })
        return values

    @api.model
    def _webo_check_new_lines(self, values, filename):
        """A statement whose lines (or some of them) were imported already
        (the same file, or one overlapping it) is refused whole."""
        ids = [line[2]["unique_import_id"] for statement in values for line in statement["line_ids"]]
        if len(ids) != len(set(ids)):
            raise UserError(_("%(file)s lists the same bank transaction twice: it is not a valid "
                              "statement.") % {"file": filename})
        known = self.env["account.bank.statement.line"].sudo().search(
            [("unique_import_id", "in", ids)])
        if known:
            raise UserError(_(
                "%(count)s line(s) of %(file)s have already been imported (statement %(statement)s): "
                "this statement overlaps one imported before, so nothing was imported. Import "
                "only the statements your bank issued since."
            ) % {"count": len(known), "file": filename,
                 "statement": ", ".join(sorted(set(known.mapped("statement_id.name"))))})

    def _webo_summary(self):
        lines = self.mapped("line_ids")
        states = lines.mapped("webo_match_state")
        return {
            "statement_ids": self.ids,
            "lines": len(lines),
            "reconciled": states.count("reconciled"),
            "proposed": states.count("proposed"),
            "unmatched": states.count("unmatched"),
        }
