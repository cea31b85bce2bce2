from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


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

    @api.constrains("webo_late_penalty_rate")
    def _check_webo_late_penalty_rate(self):
        for company in self:
            if company.webo_late_penalty_rate < 0:
                raise ValidationError(_("The late-payment penalty rate cannot be negative."))

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
