from odoo import _, api, fields, models


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
    invoice wizard, a subscription, its modification): its fields, its
    totals, from its VAT in the workspace's currency, and its values for
    another line. The concrete line relates ``currency_id`` to its
    document's."""

    _name = "webo.billing.line"
    _description = "Billing Line"

    sequence = fields.Integer(default=10, help="Order of the lines on the invoices.")
    name = fields.Char(string="Description", required=True,
                       help="The invoice line's description.")
    quantity = fields.Float(digits=(16, 2), default=1.0, required=True, help="Quantity billed.")
    price_unit = fields.Monetary(string="Unit Price excl. VAT", required=True,
                                 help="Price of one unit, before VAT.")
    tax_ids = fields.Many2many(
        "account.tax", string="VAT", domain="[('type_tax_use', '=', 'sale')]",
        default=lambda self: self.env.user.company_id._webo_default_sale_tax(),
        help="VAT applied to the line (none under the VAT franchise).")
    currency_id = fields.Many2one("res.currency", help="The workspace's currency.")
    price_subtotal = fields.Monetary(string="Total excl. VAT", compute="_compute_price",
                                     help="Line total before VAT.")
    price_total = fields.Monetary(string="Total incl. VAT", compute="_compute_price",
                                  help="Line total, VAT included.")

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
