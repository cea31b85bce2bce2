import uuid
from contextlib import contextmanager
from datetime import timedelta

from lxml import html as lxml_html

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..models.webo_api import public_method, webo_date
from ..tools.actions import wizard_action


@contextmanager
def rolled_back(env):
    """Run the block in a savepoint that is always rolled back.

    Previews create and validate the real invoice so that the client sees
    exactly what they will receive, number included. Journal sequences are
    gapless ("no_gap", a row update), so the rollback leaves no gap."""
    savepoint = "webo_preview_%s" % uuid.uuid4().hex
    env.cr.execute('SAVEPOINT "%s"' % savepoint)
    try:
        yield
    finally:
        env.cr.execute('ROLLBACK TO SAVEPOINT "%s"' % savepoint)
        env.cr.execute('RELEASE SAVEPOINT "%s"' % savepoint)
        # The caches still hold the records the rollback undid.
        env.clear()


def report_body(report_html):
    """The pages of a rendered report, without its <html>/<head> wrapper,
    to show inside the backend."""
    document = lxml_html.document_fromstring(report_html)
    pages = document.xpath("//div[contains(concat(' ', @class, ' '), ' page ')]")
    return "".join(lxml_html.tostring(page, encoding="unicode") for page in pages)


# The due date a new invoice gets unless the designer chooses another.
PAYMENT_DAYS = 30


def default_due_date(day):
    """``day`` (a date string) plus the usual payment delay."""
    return fields.Date.to_string(fields.Date.from_string(day) + timedelta(days=PAYMENT_DAYS))


class WeboInvoiceWizard(models.TransientModel):
    _name = "webo.invoice.wizard"
    _inherit = ["webo.api.checked"]
    _description = "Create an invoice"

    state = fields.Selection(
        [("details", "Invoice"), ("preview", "Invoice preview"),
         ("email", "Email preview"), ("done", "Sent")],
        string="Step", default="details", required=True, readonly=True)
    name = fields.Char(string="Label", required=True,
                       help="What the invoice is for, as the client reads it.")
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True,
        domain="[('customer', '=', True), ('parent_id', '=', False)]")
    date_invoice = fields.Date(string="Invoice Date", required=True,
                               default=fields.Date.context_today)
    date_due = fields.Date(string="Due Date", required=True,
                           default=lambda self: default_due_date(fields.Date.context_today(self)),
                           help="The date the client must pay by (30 days after the invoice "
                                "date unless you choose another).")
    recurrence = fields.Selection(
        [("none", "None"), ("monthly", "Monthly")],
        required=True, default="none",
        help="A monthly recurrence makes this invoice a subscription: the "
             "next ones are issued and sent at each due date.")
    line_ids = fields.One2many("webo.invoice.wizard.line", "wizard_id", string="Lines")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.user.company_id.currency_id, readonly=True)
    amount_untaxed = fields.Monetary(string="Total excl. VAT", compute="_compute_amounts")
    amount_total = fields.Monetary(string="Total incl. VAT", compute="_compute_amounts")
    preview_html = fields.Html(string="Invoice Preview", sanitize=False, readonly=True)
    email_partner_ids = fields.Many2many("res.partner", string="Recipients")
    email_subject = fields.Char(string="Subject")
    email_body = fields.Html(string="Message")
    predicted_number = fields.Char(string="Previewed Number", readonly=True)
    preview_payment_url = fields.Char(string="Previewed Payment Page", readonly=True)
    invoice_id = fields.Many2one(
        "account.invoice", readonly=True,
        help="The invoice: its draft once saved or previewed, then the invoice sent.")

    @api.depends("line_ids.price_subtotal", "line_ids.price_total")
    def _compute_amounts(self):
        for wizard in self:
            wizard.amount_untaxed = sum(wizard.line_ids.mapped("price_subtotal"))
            wizard.amount_total = sum(wizard.line_ids.mapped("price_total"))

    @api.constrains("partner_id")
    def _check_partner(self):
        # Refused as soon as the wizard is made or its client changed (so
        # before any draft is saved or sent): Odoo 11 reads a many2one's
        # name as superuser, and the wizard would show the name of another
        # workspace's client to whoever made it.
        for wizard in self:
            client_company = wizard.partner_id.sudo().commercial_partner_id.company_id
            if client_company and client_company != self.env.user.company_id:
                raise ValidationError(_("%s is not one of your clients.") % wizard.partner_id._webo_label())

    @api.onchange("date_invoice")
    def _onchange_date_invoice(self):
        if self.date_invoice:
            self.date_due = default_due_date(self.date_invoice)

    @api.constrains("date_invoice", "date_due")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_due < wizard.date_invoice:
                raise ValidationError(_(
                    "The due date (%(due)s) is before the invoice date (%(date)s): choose a "
                    "due date on or after the invoice date."
                ) % {"due": webo_date(self.env, wizard.date_due),
                     "date": webo_date(self.env, wizard.date_invoice)})

    @api.multi
    @public_method
    def action_next(self):
        """"Suivant": from the details to the invoice preview, then to the
        email preview."""
        self.env["webo.api"]._check_one(self)
        if self.state == "details":
            self._check_details()
            # The previews are rolled back to a savepoint, which a commit
            # (generating the style sheets) would destroy.
            self.env["ir.actions.report"]._webo_prepare_report_assets()
            self._save_draft()
            self._render_previews()
            self.state = "preview"
        elif self.state == "preview":
            self.state = "email"
        return self._reopen()

    @api.multi
    @public_method
    def action_back(self):
        self.env["webo.api"]._check_one(self)
        self.state = {"preview": "details", "email": "preview"}.get(self.state, self.state)
        return self._reopen()

    @api.multi
    @public_method
    def action_send(self):
        """"Envoyer la facture": issue the invoice (its number is given now),
        send it with its PDF, and hand a monthly one to the subscriptions.
        Over XML-RPC it can be called right after create."""
        self.env["webo.api"]._check_one(self)
        # Before the number is taken: generating the PDF's style sheets
        # commits (see ir.actions.report).
        self.env["ir.actions.report"]._webo_prepare_report_assets()
        self._lock()
        if self.invoice_id.state not in (False, "draft"):
            raise UserError(_("This invoice has already been sent (%s).") % self.invoice_id.number)
        self._check_details()
        invoice = self._save_draft()
        if self.recurrence == "monthly":
            invoice._webo_start_subscription()
        invoice.action_invoice_open()
        # Without a previewed email (a script calls action_send right after
        # create), the template is rendered on the issued invoice itself.
        subject, body = self._final_email_text(invoice) if self.email_body else (None, None)
        invoice._webo_post_email(subject=subject, body=body,
                                 partners=self.email_partner_ids or None)
        self.state = "done"
        return invoice._webo_form_action()

    @api.multi
    @public_method
    def action_save_draft(self):
        """"Enregistrer en brouillon": keep the invoice as a draft, to send
        later (the only way before the sales service is open). Returns the
        window action of the draft invoice."""
        self.env["webo.api"]._check_one(self)
        self._lock()
        if self.invoice_id.state not in (False, "draft"):
            raise UserError(_("This invoice has already been sent (%s).") % self.invoice_id.number)
        invoice = self._save_draft()
        return invoice._webo_form_action()

    @api.model
    def _from_draft(self, invoice):
        """The wizard taking up a draft invoice where it was left."""
        return self.create({
            "invoice_id": invoice.id,
            "name": invoice.name,
            "partner_id": invoice.partner_id.id,
            "date_invoice": invoice.date_invoice or fields.Date.context_today(self),
            "date_due": invoice.date_due or default_due_date(
                invoice.date_invoice or fields.Date.context_today(self)),
            "recurrence": invoice.webo_recurrence,
            "line_ids": [(0, 0, line._webo_billing_line_values()) for line in invoice.invoice_line_ids],
        })

    def _check_details(self):
        """Everything sending checks, before the draft is even saved."""
        self.env.user.company_id._webo_check_service_open()
        partner = self.partner_id.sudo()
        self.env["account.invoice"]._webo_check_invoice_date(self._sale_journal(), self.date_invoice)
        if not self.line_ids:
            raise UserError(_("Add at least one line to the invoice."))
        # As stored, whatever the user may read.
        foreign = self.sudo().line_ids.mapped("tax_ids").filtered(
            lambda tax: tax.company_id != self.env.user.company_id or tax.type_tax_use != "sale")
        if foreign:
            raise UserError(_("%(tax)s is not a sales tax of your workspace: choose the VAT among "
                              "your workspace's sales taxes.") % {"tax": foreign[0].sudo().name})
        if any(float_compare(line.quantity, 0.0, precision_digits=6) <= 0 for line in self.line_ids):
            raise UserError(_("Each line needs a quantity above zero."))
        if float_compare(self.amount_total, 0.0, precision_rounding=self.currency_id.rounding) <= 0:
            raise UserError(_(
                "The invoice total must be above zero: check the quantities and unit "
                "prices. To give money back to a client, cancel an invoice with a credit note."))
        recipients = self.email_partner_ids or partner._webo_billing_contact()
        if not all(recipients.mapped("email")):
            raise UserError(_(
                "%s has no email address: add one to the client or to its billing "
                "contact, so that the invoice can be sent.") % partner.display_name)

    def _render_previews(self):
        """Invoice HTML and email text, rendered on the draft issued as it
        will be, then undone: the draft keeps its id and its token, so the
        previews show the very payment link the client will receive."""
        with rolled_back(self.env):
            invoice = self.invoice_id
            if self.recurrence == "monthly":
                invoice._webo_start_subscription()
            invoice.action_invoice_open()
            report = invoice._webo_report()
            values = {
                "preview_html": report_body(report.render_qweb_html(invoice.ids)[0]),
                "predicted_number": invoice.number,
                "preview_payment_url": invoice.webo_payment_url,
                "email_partner_ids": [(6, 0, invoice.webo_billing_partner_id.ids)],
            }
            values.update(("email_" + key, text) for key, text in invoice._webo_render_email().items())
        self.write(values)

    def _final_email_text(self, invoice):
        """The email as previewed (and maybe edited), with what belongs to
        the issued invoice: its payment page, and its number if another
        invoice took the previewed one meanwhile."""
        subject, body = self.email_subject, self.email_body
        replacements = [(self.preview_payment_url, invoice.webo_payment_url),
                        (self.predicted_number, invoice.number)]
        for previewed, issued in replacements:
            if previewed and previewed != issued:
                subject = subject.replace(previewed, issued)
                body = body.replace(previewed, issued)
        return subject, body

    def _save_draft(self):
        """The draft invoice of the wizard, made or brought up to date (a
        monthly one starts its subscription only when it is sent)."""
        journal = self._sale_journal()
        account = journal.default_credit_account_id
        if self.line_ids and not account:
            raise UserError(_("The sales journal %s has no income account.") % journal.name)
        values = {
            "name": self.name,
            "partner_id": self.partner_id.id,
            "date_invoice": self.date_invoice,
            "date_due": self.date_due,
            "webo_recurrence": self.recurrence,
            "invoice_line_ids": [(5, 0, 0)] + [
                (0, 0, line._invoice_line_values(account)) for line in self.line_ids],
        }
        if self.invoice_id:
            self.invoice_id.write(values)
            # Odoo computes the tax lines of a new invoice only: the draft's
            # follow its new lines.
            self.invoice_id.compute_taxes()
        else:
            self.invoice_id = self.env["account.invoice"].create(dict(
                values, type="out_invoice", company_id=self.env.user.company_id.id,
                journal_id=journal.id))
        return self.invoice_id

    def _sale_journal(self):
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.env.user.company_id.id), ("type", "=", "sale")], limit=1)
        if not journal:
            raise UserError(_("Your workspace has no sales journal: its accounting is not set up."))
        return journal

    def _lock(self):
        """Two clicks on "Envoyer la facture" must not issue two invoices:
        the second waits for the first and then finds it sent."""
        self.env.cr.execute("SELECT id FROM webo_invoice_wizard WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_cache(["invoice_id", "state"], self.ids)

    def _reopen(self):
        return wizard_action(self._name, _("Create an invoice"), res_id=self.id)


class WeboInvoiceWizardLine(models.TransientModel):
    _name = "webo.invoice.wizard.line"
    _inherit = "webo.billing.line"
    _description = "Invoice line"
    _order = "sequence, id"

    wizard_id = fields.Many2one("webo.invoice.wizard", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="wizard_id.currency_id", readonly=True)
