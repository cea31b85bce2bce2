"""Contrôle d'inaltérabilité: proof that the books were not changed.

l10n_fr_certification (Odoo's module for the French inalterability
requirement) gives each posted journal entry of a French company a number
in a gapless sequence and a SHA-256 hash of its data (date, journal,
company; each item's account, partner, debit and credit) chained with the
previous entry's hash. Its own check stops at the first altered entry and
answers by an error even when all is well; this one goes through the whole
chain and reports every altered or missing entry, for the workspace's
designer (their books) and the platform operator (any company's)."""
from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.webo_api import public_method
from ..tools.actions import wizard_action


class WeboIntegrityCheck(models.TransientModel):
    _name = "webo.integrity.check"
    _description = "Integrity check of the books"

    company_id = fields.Many2one(
        "res.company", string="Books of", required=True,
        default=lambda self: self.env.user.company_id,
        help="Whose journal entries are checked: your workspace's (the platform operator "
             "may check any company's).")
    state = fields.Selection(
        [("new", "Not checked yet"), ("intact", "Intact"), ("altered", "Altered"),
         ("empty", "Nothing to check yet")],
        string="Result", default="new", required=True, readonly=True)
    entry_count = fields.Integer(string="Chained Entries", readonly=True,
                                 help="Posted journal entries in the chain.")
    first_entry = fields.Char(string="From", readonly=True)
    last_entry = fields.Char(string="To", readonly=True)
    altered_entries = fields.Text(
        string="Altered or Missing Entries", readonly=True,
        help="Entries whose data no longer match their hash, and numbers missing from the chain.")
    unchained_count = fields.Integer(
        string="Entries Outside the Chain", readonly=True,
        help="Entries posted before the chain was set up (installation of the certification).")
    checked_at = fields.Datetime(string="Checked On", readonly=True)
    report = fields.Text(readonly=True)

    @api.multi
    def action_check(self):
        """"Vérifier": the check, its report shown in the same window."""
        self.ensure_one()
        result = self.webo_check_integrity(self.company_id.id)
        self.write({
            "state": "intact" if result["intact"] and result["entries"] else
                     ("empty" if result["intact"] else "altered"),
            "entry_count": result["entries"],
            "first_entry": result["first"] and "%(name)s (%(date)s)" % result["first"],
            "last_entry": result["last"] and "%(name)s (%(date)s)" % result["last"],
            "altered_entries": "\n".join(result["altered_report"]),
            "unchained_count": result["unchained"],
            "checked_at": result["checked_at"],
            "report": result["report"],
        })
        return wizard_action(self._name, _("Integrity check"), res_id=self.id)

    @api.model
    @public_method
    def webo_check_integrity(self, company_id=None):
        """Check the chain of the posted journal entries of ``company_id``
        (default: the user's workspace; the platform operator may name any
        company). Returns the report: {"company", "intact", "entries",
        "first" and "last" ({"name", "date"} or False), "altered" (the
        altered entries: {"id", "name", "date", "journal"}), "missing" (the
        numbers missing from the chain), "altered_report" (one line each),
        "unchained", "checked_at", "report" (the whole report in words)}."""
        company = self._webo_company_to_check(company_id)
        moves = self.env["account.move"].sudo()
        chain = moves.search([("company_id", "=", company.id), ("state", "=", "posted"),
                              ("l10n_fr_secure_sequence_number", "!=", 0)],
                             order="l10n_fr_secure_sequence_number")
        altered, missing = [], []
        previous_hash, previous_number = "", 0
        for move in chain:
            number = move.l10n_fr_secure_sequence_number
            missing.extend(range(previous_number + 1, number))
            if move.l10n_fr_hash != move._compute_hash(previous_hash):
                altered.append(move)
            previous_hash, previous_number = move.l10n_fr_hash, number
        unchained = moves.search_count([("company_id", "=", company.id), ("state", "=", "posted"),
                                        ("l10n_fr_secure_sequence_number", "=", 0)])
        result = {
            "company": company.name,
            "intact": not altered and not missing,
            "entries": len(chain),
            "first": self._webo_entry(chain[0]) if chain else False,
            "last": self._webo_entry(chain[-1]) if chain else False,
            "altered": [dict(self._webo_entry(move), id=move.id, journal=move.journal_id.name)
                        for move in altered],
            "missing": missing,
            "unchained": unchained,
            "checked_at": fields.Datetime.now(),
        }
        result["altered_report"] = self._webo_altered_lines(result)
        result["report"] = self._webo_report_text(result)
        return result

    @api.model
    def _webo_company_to_check(self, company_id):
        self.env["webo.api"]._check_id(company_id, _("The company"), required=False)
        user = self.env.user
        operator = user.has_group("webo_sale.group_platform_operator")
        if not operator and not user.has_group("webo_sale.group_designer"):
            raise AccessError(_("Only a designer (for their workspace) or the platform operator "
                                "can check the integrity of the books."))
        if not company_id or company_id == user.company_id.id:
            return user.company_id
        if not operator:
            raise AccessError(_("You can check the books of your own workspace only."))
        company = self.env["res.company"].sudo().browse(company_id).exists()
        if not company:
            raise AccessError(_("There is no company %(id)s to check.") % {"id": company_id})
        return company

    @api.model
    def _webo_entry(self, move):
        return {"name": move.name, "date": move.date}

    @api.model
    def _webo_altered_lines(self, result):
        lines = [_("%(name)s of %(date)s (%(journal)s): its data no longer match its hash.") % entry
                 for entry in result["altered"]]
        lines += [_("Entry number %(number)s of the chain is missing.") % {"number": number}
                  for number in result["missing"]]
        return lines

    @api.model
    def _webo_report_text(self, result):
        values = dict(result)
        if not result["entries"]:
            text = _("Books of %(company)s, checked on %(checked_at)s: no journal entry is chained "
                     "yet (entries are chained when they are posted).") % values
        else:
            values.update(first=result["first"]["name"], first_date=result["first"]["date"],
                          last=result["last"]["name"], last_date=result["last"]["date"])
            text = _("Books of %(company)s, checked on %(checked_at)s: %(entries)s journal entries "
                     "chained, from %(first)s (%(first_date)s) to %(last)s (%(last_date)s).") % values
            if result["intact"]:
                text += "\n" + _("Intact: no entry was changed or removed after it was posted.")
            else:
                text += "\n" + _("ALTERED: these entries were changed or removed after they were "
                                 "posted:") + "\n" + "\n".join(result["altered_report"])
        if result["unchained"]:
            text += "\n" + _("%(count)s entries posted before the chain was set up are outside "
                             "it.") % {"count": result["unchained"]}
        return text
