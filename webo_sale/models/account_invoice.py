import base64
import time

import facturx
from num2words import num2words

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.safe_eval import safe_eval

from ..facturx_cii import FacturxWriter
from ..facturx_cii.writer import FACTURX_LEVEL

WEBO_STATES = [
    ("draft", "Draft"),
    ("sent", "Sent"),
    ("late", "Late"),
    ("partial", "Partially paid"),
    ("paid", "Paid"),
    ("credited", "Cancelled by credit note"),
]


def amount_in_french_words(amount):
    """Euros and cents in French words, with French plural rules
    ("un euro", "deux euros", "un million d'euros", no "zéro centime")."""
    cents_total = round(abs(amount) * 100)
    euros, cents = divmod(cents_total, 100)
    words = num2words(euros, lang="fr")
    if euros >= 1000000 and euros % 1000000 == 0:
        words += " d'euros"
    else:
        words += " euro" if euros < 2 else " euros"
    if cents:
        words += " et %s %s" % (num2words(cents, lang="fr"), "centime" if cents < 2 else "centimes")
    return words


class AccountInvoice(models.Model):
    _inherit = "account.invoice"

    webo_recurrence = fields.Selection(
        [("none", "None"), ("monthly", "Monthly")],
        string="Recurrence", required=True, default="none", copy=False, readonly=True,
        help="A monthly recurrence makes this invoice the first of a subscription.",
    )
    webo_subscription_id = fields.Many2one(
        "webo.subscription", string="Subscription", readonly=True, copy=False, index=True,
        ondelete="restrict",
        help="The subscription this invoice bills one period of.")
    webo_subscription_period = fields.Integer(
        string="Subscription Period", readonly=True, copy=False,
        help="Which period of its subscription the invoice bills (1 is the first month).")
    webo_credit_note_id = fields.Many2one(
        "account.invoice", string="Cancelled by", readonly=True, copy=False,
        help="The credit note that cancelled this invoice.",
    )
    webo_state = fields.Selection(
        WEBO_STATES, string="Payment Status", compute="_compute_webo_state",
        help="Where the invoice stands for the designer: sent and awaiting "
             "payment, late (past its due date), partially paid, paid, or "
             "cancelled by a credit note.",
    )
    webo_billing_partner_id = fields.Many2one(
        "res.partner", string="Billing Contact", compute="_compute_webo_billing_partner_id",
        help="Who receives the invoice by email: the client's billing contact, "
             "or the client itself.",
    )
    webo_payment_url = fields.Char(
        string="Payment Page", compute="_compute_webo_payment_url",
        help="The client's own page for this invoice: view, download, pay.",
    )

    # The database itself guarantees one invoice per subscription and
    # period, whatever runs the monthly invoicing and however often.
    _sql_constraints = [
        ("webo_subscription_period_unique", "UNIQUE (webo_subscription_id, webo_subscription_period)",
         "This period of the subscription has already been invoiced."),
    ]

    @api.depends("state", "residual", "amount_total", "date_due", "webo_credit_note_id")
    def _compute_webo_state(self):
        today = fields.Date.context_today(self)
        for invoice in self:
            invoice.webo_state = invoice._webo_state_on(today)

    @api.depends("partner_id")
    def _compute_webo_billing_partner_id(self):
        for invoice in self:
            invoice.webo_billing_partner_id = invoice.partner_id._webo_billing_contact()

    @api.depends("access_token")
    def _compute_webo_payment_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for invoice in self:
            if invoice.id and invoice.access_token:
                invoice.webo_payment_url = "%s/my/invoices/%d?access_token=%s" % (
                    base_url, invoice.id, invoice.access_token)

    @api.constrains("partner_id", "company_id")
    def _check_webo_partner_company(self):
        customer_invoices = self.filtered(
            lambda i: i.company_id.webo_workspace and i.type in ("out_invoice", "out_refund"))
        for invoice in customer_invoices:
            partner_company = invoice.partner_id.sudo().commercial_partner_id.company_id
            if partner_company and partner_company != invoice.company_id:
                raise ValidationError(_(
                    "%s is not a client of this workspace: you can only invoice your own clients."
                ) % invoice.partner_id.sudo().display_name)

    @api.multi
    def unlink(self):
        self._webo_refuse_if_issued(_("deleted"))
        return super().unlink()

    @api.multi
    def action_invoice_cancel(self):
        self._webo_refuse_if_issued(_("cancelled"))
        return super().action_invoice_cancel()

    @api.multi
    def action_invoice_draft(self):
        self._webo_refuse_if_issued(_("reset to draft"))
        return super().action_invoice_draft()

    @api.multi
    def action_webo_resend(self):
        """The "Renvoyer par mail" modal."""
        self.ensure_one()
        return self._webo_wizard_action("webo.invoice.resend", _("Resend by email"))

    @api.multi
    def action_webo_cancel(self):
        """The "Annuler la facture" wizard, which can only create a credit note."""
        self.ensure_one()
        self._webo_check_can_be_credited()
        return self._webo_wizard_action("webo.invoice.cancel", _("Cancel the invoice"))

    @api.multi
    def action_webo_open_payment_page(self):
        """The client's page, as the client sees it."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.webo_payment_url, "target": "new"}

    @api.multi
    def webo_resend(self):
        """Send the issued invoice to the client again, with the same PDF."""
        self._webo_check_designer_access()
        for invoice in self:
            if invoice.type != "out_invoice" or invoice.state not in ("open", "paid"):
                raise UserError(_("Only a sent invoice can be sent again (%s is a draft).")
                                % (invoice.name or invoice.partner_id.display_name))
            invoice._webo_post_email()
        return True

    @api.multi
    def webo_cancel_with_credit_note(self):
        """Cancel a sent invoice the only lawful way: a credit note for its
        whole amount, validated, reconciled with it and sent to the client.
        Returns the credit note's id."""
        self.ensure_one()
        self._webo_check_designer_access()
        self._webo_check_can_be_credited()
        credit_note = self._webo_new_credit_note()
        credit_note.action_invoice_open()
        self._webo_reconcile_with(credit_note)
        self.webo_credit_note_id = credit_note
        credit_note._webo_post_email()
        self.message_post(body=_("Cancelled by the credit note %s.") % credit_note.number)
        return credit_note.id

    @api.multi
    def webo_facturx_pdf(self):
        """The Factur-X PDF of an issued invoice or credit note, base64
        encoded: the very PDF sent to the client. Only someone who can read
        the invoice gets it."""
        self.ensure_one()
        self.check_access_rights("read")
        self.check_access_rule("read")
        if not self._webo_is_issued() or self.state not in ("open", "paid"):
            raise UserError(_(
                "Only an issued invoice or credit note has a Factur-X PDF: "
                "%(name)s is not issued yet."
            ) % {"name": self.number or self.name or self.partner_id.display_name})
        return self._webo_pdf_attachment().datas.decode("ascii")

    @api.model
    def webo_import_facturx(self, content, filename=None):
        """Import a supplier's Factur-X PDF (base64) as a draft vendor bill
        of the user's workspace; returns its id (see webo.facturx.import)."""
        return self.env["webo.facturx.import"].import_pdf(content, filename).id

    def _webo_receiving_bank_account(self):
        """The bank account the client pays into (its IBAN goes in the
        Factur-X): the workspace's payment-receiving account once its sales
        service is open, else the invoice's own, else the workspace's first."""
        self.ensure_one()
        service = self.env["webo.sale.service"].sudo().search(
            [("company_id", "=", self.company_id.id), ("state", "=", "open")], limit=1)
        return (service.bank_account_id or self.partner_bank_id
                or self.company_id.partner_id.bank_ids[:1])

    def _webo_facturx_xml(self):
        """The Factur-X XML (EN 16931) of the issued invoice, as bytes,
        checked against the official schema."""
        self.ensure_one()
        if self.type not in ("out_invoice", "out_refund") or not self.number:
            raise UserError(_("Only an issued invoice or credit note has a Factur-X XML."))
        return FacturxWriter(self).xml()

    def _webo_facturx_embed(self, pdf):
        """The issued PDF with its Factur-X XML embedded: a PDF/A-3."""
        self.ensure_one()
        return facturx.generate_from_binary(
            pdf, self._webo_facturx_xml(), flavor="factur-x", level=FACTURX_LEVEL,
            check_xsd=False,  # just checked
            lang="fr-FR", pdf_metadata=FacturxWriter(self).pdf_metadata())

    def _webo_check_designer_access(self):
        """Resending and crediting act for the workspace: they need the
        right to change its invoices, which a client reading their own
        invoice on the portal does not have."""
        self.check_access_rights("write")
        self.check_access_rule("write")

    def _webo_state_on(self, today):
        self.ensure_one()
        if self.webo_credit_note_id:
            return "credited"
        if self.state in ("draft", "cancel"):
            return "draft"
        if self.state == "paid":
            return "paid"
        if self.date_due and self.date_due < today:
            return "late"
        if float_compare(self.residual, self.amount_total,
                         precision_rounding=self.currency_id.rounding) < 0:
            return "partial"
        return "sent"

    def _webo_is_business_client(self):
        """A company client (or one with a VAT number or SIRET): the 40 EUR
        fixed recovery indemnity applies to its late payments."""
        client = self.commercial_partner_id
        return bool(client.is_company or client.vat or client.siret)

    def _webo_amount_in_words(self):
        """The total in French words, e.g. "mille deux cents euros et
        cinquante centimes"."""
        self.ensure_one()
        if self.currency_id.name != "EUR":
            return num2words(self.amount_total, lang="fr", to="currency",
                             currency=self.currency_id.name)
        return amount_in_french_words(self.amount_total)

    def _webo_is_issued(self):
        return self.type in ("out_invoice", "out_refund") and bool(self.move_name)

    def _webo_refuse_if_issued(self, operation):
        issued = self.filtered(lambda i: i._webo_is_issued())
        if issued:
            raise UserError(_(
                "Invoice %(number)s has been issued and cannot be %(operation)s: French "
                "invoicing law keeps every numbered invoice. Cancel it with a credit note "
                "instead (Actions > Cancel the invoice)."
            ) % {"number": issued[0].number or issued[0].move_name, "operation": operation})

    def _webo_check_can_be_credited(self):
        if self.type != "out_invoice" or self.state not in ("open", "paid"):
            raise UserError(_("Only a sent invoice can be cancelled with a credit note."))
        if self.webo_credit_note_id:
            raise UserError(_("Invoice %(number)s is already cancelled by the credit note %(credit_note)s.")
                            % {"number": self.number, "credit_note": self.webo_credit_note_id.number})
        if self.state == "paid":
            raise UserError(_("Invoice %s is paid: refund your client before cancelling it.")
                            % self.number)

    def _webo_new_credit_note(self):
        """A draft credit note for the whole invoice (Odoo's refund)."""
        return self.refund(description=_("Credit note for invoice %s") % self.number)

    def _webo_reconcile_with(self, credit_note):
        lines = (self.move_id.line_ids | credit_note.move_id.line_ids).filtered(
            lambda line: line.account_id == self.account_id and not line.reconciled)
        lines.reconcile()

    def _webo_report(self):
        return self.env.ref("webo_sale.action_report_invoice")

    def _webo_mail_template(self):
        return self.env.ref("webo_sale.mail_template_invoice")

    def _webo_pdf_attachment(self):
        """The PDF of the issued invoice, rendered once and kept: every email
        of the invoice carries the very same document."""
        self.ensure_one()
        report = self._webo_report()
        attachment = report.retrieve_attachment(self)
        if not attachment:
            content, _format = report.render_qweb_pdf(self.ids)
            # Odoo stores it itself, except when it skips wkhtmltopdf (its
            # test mode): then keep what it rendered, under the same name.
            filename = safe_eval(report.attachment, {"object": self, "time": time})
            attachment = report.retrieve_attachment(self) or self.env["ir.attachment"].create({
                "name": filename,
                "datas_fname": filename,
                "datas": base64.b64encode(content),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/pdf",
            })
        return attachment

    def _webo_store_pdfs(self):
        """Print the legal PDFs these issued invoices do not have yet all
        together, and store them: what each one's email then carries, as
        if it had been printed alone (``_webo_pdf_attachment``)."""
        report = self._webo_report()
        missing = self.filtered(lambda invoice: not report.retrieve_attachment(invoice))
        if len(missing) > 1:
            report._webo_print_and_store(missing)

    def _webo_render_email(self):
        """Subject and body of the invoice email from the French template."""
        self.ensure_one()
        return self._webo_render_emails()[self.id]

    def _webo_render_emails(self):
        """Subject and body of each invoice's email from the French template,
        in its client's language: {invoice id: {"subject", "body"}}. The
        template is compiled once for all the invoices of a language."""
        template = self._webo_mail_template()
        emails = {}
        for lang in set(self.mapped("partner_id.lang")):
            invoices = self.filtered(lambda invoice, lang=lang: invoice.partner_id.lang == lang)
            in_lang = template.with_context(lang=lang)
            subjects = in_lang.render_template(in_lang.subject, self._name, invoices.ids)
            bodies = in_lang.render_template(in_lang.body_html, self._name, invoices.ids,
                                             post_process=True)
            emails.update({invoice_id: {"subject": subjects[invoice_id], "body": bodies[invoice_id]}
                           for invoice_id in invoices.ids})
        return emails

    def _webo_check_email_recipients(self, partners=None):
        """Refuse an invoice whose email would reach nobody."""
        self.ensure_one()
        partners = partners or self.webo_billing_partner_id
        if not partners or not all(partners.mapped("email")):
            raise UserError(_("The client %s has no email address: add one to its billing contact.")
                            % self.partner_id.display_name)
        return partners

    def _webo_post_email(self, subject=None, body=None, partners=None):
        """Email the invoice (or credit note) with its PDF to the billing
        contact through Odoo's mail queue, logged in the chatter."""
        self.ensure_one()
        partners = self._webo_check_email_recipients(partners)
        if subject is None or body is None:
            rendered = self._webo_render_email()
            subject = rendered["subject"] if subject is None else subject
            body = rendered["body"] if body is None else body
        attachment = self._webo_pdf_attachment()
        # The email's frame (signature, footer) in the client's language, as
        # its body: a script over XML-RPC has no language of its own.
        lang = partners[:1].lang or self.partner_id.lang
        # Its own subtype, which nobody follows: exactly the chosen recipients
        # get the email, not every follower of the invoice.
        self.with_context(mail_notify_force_send=False, lang=lang).message_post(
            subject=subject, body=body, partner_ids=partners.ids,
            attachment_ids=attachment.ids, message_type="comment",
            subtype="webo_sale.mt_invoice_sent")
        self.sent = True

    def _webo_wizard_action(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_invoice_id": self.id},
        }

    def _webo_start_subscription(self):
        """Make each monthly invoice the first period of a new subscription,
        billed on the invoice's day of the month from then on. Returns the
        subscriptions."""
        subscriptions = self.env["webo.subscription"]
        for invoice in self:
            date_invoice = fields.Date.from_string(invoice.date_invoice)
            date_due = fields.Date.from_string(invoice.date_due or invoice.date_invoice)
            subscription = subscriptions.create({
                "name": invoice.name or invoice.number,
                "partner_id": invoice.partner_id.id,
                "company_id": invoice.company_id.id,
                "date_start": invoice.date_invoice,
                "billing_day": date_invoice.day,
                "payment_days": max((date_due - date_invoice).days, 0),
                "next_period": 2,
                "line_ids": [(0, 0, line._webo_subscription_line_values())
                             for line in invoice.invoice_line_ids],
            })
            invoice.write({"webo_recurrence": "monthly", "webo_subscription_id": subscription.id,
                           "webo_subscription_period": 1})
            subscriptions |= subscription
        return subscriptions

