from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    webo_workspace = fields.Boolean(
        string="Designer Workspace",
        help="This company is the workspace of a web designer who uses the "
             "webo sales service: its users see its data only.",
    )

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
