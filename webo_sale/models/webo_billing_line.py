from odoo import _, api, models


def line_values(line, taxes):
    """What ``line`` bills (a billing line, or an invoice line whose VAT is
    ``taxes``), as a new billing line takes it: the one description of a
    line's values, which an invoice line takes renamed
    (``_invoice_line_values``)."""
    return {
        "sequence": line.sequence,
        "name": line.name,
        "quantity": line.quantity,
        "price_unit": line.price_unit,
        "tax_ids": [(6, 0, taxes.ids)],
    }


class WeboBillingLine(models.AbstractModel):
    """What every line billed to a client shares, wherever it is typed (the
    invoice wizard, a subscription): its totals, from its VAT in the
    workspace's currency, and its values for another line. The concrete
    line defines ``sequence``, ``name``, ``quantity``, ``price_unit``,
    ``tax_ids``, and for its totals ``currency_id``, ``price_subtotal``
    and ``price_total``."""

    _name = "webo.billing.line"
    _description = "Billing Line"

    @api.depends("quantity", "price_unit", "tax_ids")
    def _compute_price(self):
        for line in self:
            currency = line.currency_id or self.env.user.company_id.currency_id
            taxes = line.tax_ids.compute_all(line.price_unit, currency, line.quantity)
            line.price_subtotal = taxes["total_excluded"]
            line.price_total = taxes["total_included"]

    @api.constrains("tax_ids")
    def _check_webo_franchise_vat(self):
        for line in self:
            line._webo_line_company()._webo_check_no_vat(
                line.tax_ids, _("the line \"%s\"") % line.name)

    def _webo_line_company(self):
        """The workspace the line bills for: the user's, where it is typed."""
        return self.env.user.company_id

    def _copy_values(self):
        """The line as a new subscription (or a modification) takes it."""
        return line_values(self, self.tax_ids)

    def _invoice_line_values(self, account):
        """The line as an invoice line, its income in ``account``."""
        values = self._copy_values()
        values["invoice_line_tax_ids"] = values.pop("tax_ids")
        values["account_id"] = account.id
        return values
