from odoo import models

# The purchase credit of a workspace (the seed's "en-cours d'achat").
CEILING = 150.0
CEILING_WITH_IBAN = 300.0


class WeboSaleService(models.Model):
    _inherit = "webo.sale.service"

    def _webo_purchase_outstanding(self):
        """Used: what the workspace owes the platform on its open purchases
        (vendor bills from the platform); ceiling: 150 EUR, 300 EUR once an
        IBAN is registered."""
        self.ensure_one()
        platform = self.env.ref("base.main_company").sudo().partner_id
        self.env.cr.execute("""
            SELECT COALESCE(SUM(residual_company_signed), 0)
              FROM account_invoice
             WHERE company_id = %s AND type = 'in_invoice' AND state = 'open'
               AND commercial_partner_id = %s
        """, (self.company_id.id, platform.id))
        used = self.env.cr.fetchone()[0]
        ceiling = CEILING_WITH_IBAN if self.bank_account_id else CEILING
        return {"used": used, "ceiling": ceiling, "available": max(ceiling - used, 0.0)}
