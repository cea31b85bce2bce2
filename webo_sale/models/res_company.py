import re

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

from ..exceptions import ServiceNotOpen

# Legal forms a French web designer works under; companies (as opposed to
# sole proprietors) have a share capital and an RCS registration.
LEGAL_FORMS = [
    ("ei", "Sole proprietorship (EI)"),
    ("micro", "Micro-enterprise"),
    ("eurl", "EURL"),
    ("sarl", "SARL"),
    ("sasu", "SASU"),
    ("sas", "SAS"),
    ("sa", "SA"),
    ("other", "Other company"),
]
SOLE_PROPRIETOR_FORMS = ("ei", "micro")


def name_with_ei(name, legal_form):
    """The company's name as its documents carry it: followed by "EI" for
    an individual entrepreneur (``legal_form``), unless it already says so."""
    name = name or ""
    if legal_form not in SOLE_PROPRIETOR_FORMS:
        return name
    words = re.sub(r"[^\w]+", " ", name.upper()).split()
    if "EI" in words or "ENTREPRENEUR INDIVIDUEL" in " ".join(words):
        return name
    return "%s EI" % name


class ResCompany(models.Model):
    _inherit = "res.company"

    webo_workspace = fields.Boolean(
        string="Designer Workspace",
        help="This company is the workspace of a web designer who uses the "
             "webo sales service: its users see its data only.",
    )
    webo_vat_regime = fields.Selection(
        [("subject", "Subject to VAT"),
         ("franchise", "VAT franchise (art. 293 B of the CGI)")],
        string="VAT Regime", required=True, default="subject",
        help="Under the VAT franchise, invoices carry no VAT and state "
             "\"TVA non applicable, art. 293 B du CGI\".",
    )
    webo_late_penalty_rate = fields.Float(
        string="Late-Payment Penalty Rate (%)", digits=(5, 2), default=10.0,
        help="Yearly rate of the penalties due on late payment, printed on "
             "every invoice. French law requires at least three times the "
             "legal interest rate.",
    )

    webo_legal_form = fields.Selection(
        LEGAL_FORMS, string="Legal Form",
        help="The legal form printed on invoices next to the company name.",
    )
    webo_share_capital = fields.Monetary(
        string="Share Capital",
        help="Printed on invoices of companies (SARL, SAS...), as French law requires.",
    )
    webo_legal_name = fields.Char(
        string="Name on Documents", compute="_compute_webo_legal_name",
        help="The name the workspace's invoices, e-invoices and emails carry: an "
             "individual entrepreneur's is followed by \"EI\" (décret 2022-725).",
    )
    webo_rcs_city = fields.Char(
        string="RCS City",
        help="The city of the trade register (RCS) where the company is registered.",
    )

    @api.depends("name", "webo_legal_form")
    def _compute_webo_legal_name(self):
        for company in self:
            company.webo_legal_name = company._webo_name_with_ei()

    @api.constrains("webo_late_penalty_rate")
    def _check_webo_late_penalty_rate(self):
        for company in self:
            if company.webo_late_penalty_rate < 0:
                raise ValidationError(_("The late-payment penalty rate cannot be negative."))

    @api.constrains("webo_vat_regime")
    def _check_webo_vat_regime(self):
        """Under the franchise, the running subscriptions' next invoices
        would carry VAT: the designer removes it first."""
        lines = self.env["webo.subscription.line"].sudo()
        for company in self.filtered(lambda c: c.webo_vat_regime == "franchise"):
            taxed = lines.search([("company_id", "=", company.id), ("tax_ids", "!=", False),
                                  ("subscription_id.state", "=", "running")], limit=1)
            if taxed:
                raise ValidationError(_(
                    "%(workspace)s cannot move to the VAT franchise while its running "
                    "subscription %(subscription)s carries VAT: remove the VAT from it first "
                    "(Subscriptions > Modify)."
                ) % {"workspace": company.name, "subscription": taxed.subscription_id.name})

    @api.model
    def create(self, vals):
        company = super().create(vals)
        # A workspace invoices from day one: its chart of accounts comes
        # with it, whoever creates it (the platform operator's screens or
        # XML-RPC).
        if company.webo_workspace:
            company._webo_install_accounting()
            company._webo_ensure_reminder_levels()
            if not vals.get("logo"):
                # Odoo's placeholder ("Your logo") would head the designer's
                # screens and mails: the workspace's name does instead.
                company.logo = False
        return company

    @api.multi
    def write(self, vals):
        result = super().write(vals)
        if vals.get("webo_workspace"):
            self._webo_ensure_reminder_levels()
        return result

    def _is_accounting_unalterable(self):
        """A workspace's books are French, whatever its address says:
        l10n_fr_certification chains its posted journal entries and
        refuses their cancellation (see webo.sale.service's integrity
        check)."""
        return self.webo_workspace or super()._is_accounting_unalterable()

    def _webo_designers(self):
        """The designer users of this workspace."""
        self.ensure_one()
        return self.env["res.users"].sudo().search([
            ("company_id", "=", self.id),
            ("groups_id", "in", self.env.ref("webo_sale.group_designer").id)])

    def _webo_check_service_open(self):
        """Refuse to send (issue) an invoice of a workspace whose sales
        service is not open: its payment-receiving account does not exist
        yet, so the client's page would offer no way to pay."""
        services = self.env["webo.sale.service"].sudo()
        for company in self.filtered("webo_workspace"):
            if not services.search_count([("company_id", "=", company.id), ("state", "=", "open")]):
                raise ServiceNotOpen(_(
                    "The sales service of %(workspace)s is not open yet: invoices can be saved "
                    "as drafts, and sent once it is open (opening creates the account your "
                    "clients pay into). Open it from Business Management > Sales: \"Open my "
                    "sales service\".") % {"workspace": company.name})

    def _webo_default_sale_tax(self):
        """The VAT a new invoice line of this workspace gets: none under the
        franchise, else the standard 20 % sale VAT of its chart."""
        self.ensure_one()
        if self.webo_vat_regime == "franchise":
            return self.env["account.tax"]
        return self.env["account.tax"].search([
            ("company_id", "=", self.id), ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"), ("amount", "=", 20.0),
            ("price_include", "=", False)], limit=1)

    def _webo_name_with_ei(self):
        return name_with_ei(self.name, self.webo_legal_form)

    def _webo_check_no_vat(self, taxes, where):
        """A workspace under the VAT franchise charges no VAT: refuse any
        tax on ``where`` (a line, a subscription), in French, before
        anything is written."""
        self.ensure_one()
        if self.webo_vat_regime == "franchise" and taxes:
            raise ValidationError(_(
                "%(workspace)s is under the VAT franchise (art. 293 B of the CGI): %(where)s "
                "cannot carry VAT (%(taxes)s). Remove the VAT from it."
            ) % {"workspace": self.name, "where": where,
                 "taxes": ", ".join(taxes.mapped("name"))})

    def _webo_legal_mention(self):
        """"SARL au capital de 5 000,00 €": the legal form and share capital
        a company's invoices must state (empty when not given)."""
        self.ensure_one()
        if not self.webo_legal_form:
            return ""
        form = dict(self._fields["webo_legal_form"]._description_selection(self.env))[
            self.webo_legal_form]
        if self.webo_legal_form in SOLE_PROPRIETOR_FORMS or not self.webo_share_capital:
            return form
        return _("%(form)s with a share capital of %(capital)s") % {
            "form": form,
            "capital": formatLang(self.env, self.webo_share_capital, currency_obj=self.currency_id),
        }

    @api.multi
    def _webo_install_accounting(self):
        """Give each workspace without accounting the French chart of
        accounts (l10n_fr) in euros, with its own sale, purchase, bank and
        cash journals."""
        chart = self.env.ref("l10n_fr.l10n_fr_pcg_chart_template")
        euro = self.env.ref("base.EUR")
        for company in self.filtered(lambda c: not c.chart_template_id):
            wizard = self.env["wizard.multi.charts.accounts"].sudo().create({
                "company_id": company.id,
                "chart_template_id": chart.id,
                "code_digits": chart.code_digits,
                "transfer_account_id": chart.transfer_account_id.id,
                "currency_id": euro.id,
                "bank_account_code_prefix": chart.bank_account_code_prefix,
                "cash_account_code_prefix": chart.cash_account_code_prefix,
            })
            wizard.onchange_chart_template_id()
            wizard.execute()

    @api.model
    def _webo_ensure_all_reminder_levels(self):
        """On install and upgrade: the default reminders of every workspace
        that has none yet."""
        self.search([("webo_workspace", "=", True)])._webo_ensure_reminder_levels()

    @api.multi
    def _webo_ensure_reminder_levels(self):
        """Give each workspace without reminder levels (archived ones
        count: the designer chose them) the four defaults, D+1 courteous,
        D+8 firm, D+15 formal notice, D+30 last notice, with their texts in
        every installed language."""
        levels = self.env["webo.reminder.level"].sudo().with_context(active_test=False)
        have = set(levels.search([("company_id", "in", self.ids)]).mapped("company_id").ids)
        missing = self.filtered(lambda c: c.webo_workspace and c.id not in have)
        if not missing:
            return
        languages = [code for code, _name in self.env["res.lang"].get_installed() if code != "en_US"]
        self._webo_load_reminder_terms(languages)
        for company in missing:
            created = levels.browse()
            for values in levels.with_context(lang="en_US")._default_values():
                created |= levels.with_context(lang="en_US").create(dict(values, company_id=company.id))
            for lang in languages:
                translated = levels.with_context(lang=lang)._default_values()
                for level, values in zip(created, translated, strict=True):
                    level.with_context(lang=lang).write(
                        {key: values[key] for key in ("name", "subject", "body")})

    def _webo_load_reminder_terms(self, languages):
        """Odoo loads a module's translations after its data and demo data:
        workspaces made then (install, upgrade) would get English texts in
        every language. Load this module's terms first when they are not
        there yet."""
        translations = self.env["ir.translation"]
        source = "Courteous reminder"
        absent = [lang for lang in languages
                  if translations._get_source(None, ("code",), lang, source) == source]
        if absent:
            translations.load_module_terms(["webo_sale"], absent)
