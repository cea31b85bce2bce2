import base64
import secrets
import time

from num2words import num2words

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import formatLang
from odoo.tools.safe_eval import safe_eval

from ..facturx_cii import FacturxWriter
from ..facturx_cii.pdfa import facturx_pdfa3
from ..tools.actions import wizard_action
from ..tools.epc_qr import epc_qr_data_uri
from .ir_actions_report import PdfRenderingError
from .webo_api import public_method, webo_date
from .webo_subscription import error_text

WEBO_STATES = [
    ("draft", "Draft"),
    ("sending", "Email pending"),
    ("send_failed", "Email failed"),
    ("sent", "Sent"),
    ("late", "Late"),
    ("partial", "Partially paid"),
    ("paid", "Paid"),
    ("credited", "Cancelled by credit note"),
    ("credit_note", "Credit note"),
]


EMAIL_STATES = [
    ("none", "Not sent"),
    ("pending", "Email pending"),
    ("sent", "Sent"),
    ("failed", "Email failed"),
]


def webo_state_of(credited, state, date_due, residual, amount_total, rounding, today,
                  email_state=None, refund=False):
    """Where an invoice stands for the designer and the client (see
    WEBO_STATES), from its raw values: shared by the invoice's computed
    field and the payment page, which reads the values by SQL (and leaves
    the email out: the client is reading the invoice). Due and unpaid, it
    is "sent" only once the mail server accepted its email; an email that
    failed for good comes first, even when the invoice is late. An issued
    credit note is a credit note (Odoo calls it paid once reconciled with
    its invoice: nobody paid anything)."""
    if credited:
        return "credited"
    if state in ("draft", "cancel"):
        return "draft"
    if refund:
        return "credit_note"
    if state == "paid":
        return "paid"
    if email_state == "failed":
        return "send_failed"
    if date_due and date_due < today:
        return "late"
    if float_compare(residual, amount_total, precision_rounding=rounding) < 0:
        return "partial"
    if email_state == "pending":
        return "sending"
    return "sent"


def is_payable(kind, state, credited, residual, rounding):
    """Whether the client can still pay an invoice, from its raw values
    (its type, state, whether a credit note cancelled it, what it still
    owes and its currency's rounding): shared by the invoice and the
    payment page, which reads the values by SQL. Sent, not cancelled by a
    credit note, not fully paid."""
    return (kind == "out_invoice" and state == "open" and not credited
            and float_compare(residual, 0.0, precision_rounding=rounding) > 0)


# The bank account the client pays into, as one SQL expression over an
# invoice ``inv`` and its ``company``: the workspace's payment-receiving
# account once its sales service is open, else the invoice's own, else the
# workspace's first. The invoice reads it alone, the payment page within its
# one query of the invoice.
RECEIVING_BANK_SQL = """COALESCE(
      (SELECT service.bank_account_id FROM webo_sale_service service
        WHERE service.company_id = inv.company_id AND service.state = 'open'
        ORDER BY service.id LIMIT 1),
      inv.partner_bank_id,
      (SELECT first.id FROM res_partner_bank first WHERE first.partner_id = company.partner_id
        ORDER BY first.sequence, first.id LIMIT 1))"""
RECEIVING_BANK_QUERY = f"""
SELECT {RECEIVING_BANK_SQL}
  FROM account_invoice inv JOIN res_company company ON company.id = inv.company_id
 WHERE inv.id = %s"""


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
    _name = "account.invoice"
    # The guard first: it refuses a change of what was issued before any
    # other override acts on it.
    _inherit = ["webo.issued.guard", "account.invoice", "webo.reminder.pausable"]

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
    webo_period_start = fields.Date(
        string="Period From", readonly=True, copy=False,
        help="First day of the month a subscription's invoice bills (its invoice is "
             "dated the day it is issued).")
    webo_period_end = fields.Date(
        string="Period To", readonly=True, copy=False,
        help="Last day of the month a subscription's invoice bills.")
    webo_credit_note_id = fields.Many2one(
        "account.invoice", string="Cancelled by", readonly=True, copy=False,
        help="The credit note that cancelled this invoice.",
    )
    webo_state = fields.Selection(
        WEBO_STATES, string="Payment Status", compute="_compute_webo_state",
        help="Where the invoice stands for the designer: its email pending or "
             "failed, sent (the mail server accepted it) and awaiting "
             "payment, late (past its due date), partially paid, paid, or "
             "cancelled by a credit note.",
    )
    # Written after the invoice is issued, by the mail queue.
    webo_email_state = fields.Selection(
        EMAIL_STATES, string="Email", required=True, default="none", readonly=True, copy=False,
        help="Where the email that carries this invoice (its last sending) stands: pending "
             "(queued, or put off by the mail server and tried again), sent (the mail "
             "server accepted it) or failed (refused for good, or not accepted within the "
             "retry period).")
    webo_email_error = fields.Char(
        string="Email Problem", readonly=True, copy=False,
        help="Why the mail server has not accepted the invoice's email.")
    webo_email_status = fields.Char(
        string="Email Status", compute="_compute_webo_email_status",
        help="The email's state as the designer reads it, with the reason of a failure.")
    webo_billing_partner_id = fields.Many2one(
        "res.partner", string="Billing Contact", compute="_compute_webo_billing_partner_id",
        help="Who receives the invoice by email: the client's billing contact, "
             "or the client itself.",
    )
    webo_payment_url = fields.Char(
        string="Payment Page", compute="_compute_webo_payment_url",
        help="The client's own page for this invoice: view, download, pay.",
    )
    webo_payment_journal_id = fields.Many2one(
        "account.journal", string="Payment Journal", compute="_compute_webo_payment_journal_id",
        help="Where a payment the designer registers is recorded: the workspace's "
             "payment-receiving account.")
    webo_stripe_refundable = fields.Monetary(
        string="Refundable through Stripe", compute="_compute_webo_stripe_refundable",
        help="A credit note: what can be given back to the client through Stripe (what its "
             "invoice was paid by card or SEPA debit, less earlier refunds). An invoice: "
             "what it was paid through Stripe (it can then be cancelled even when paid).")
    # The client's page opens with the token alone: Odoo's UUID4 (122
    # random bits) becomes 256 random bits.
    access_token = fields.Char(default=lambda self: self._get_default_access_token())
    webo_reminder_ids = fields.One2many(
        "webo.invoice.reminder", "invoice_id", string="Reminders", readonly=True,
        help="The reminders sent to the client for this late invoice.")
    webo_reminder_level_id = fields.Many2one(
        "webo.reminder.level", string="Last Reminder", compute="_compute_webo_last_reminder",
        help="The last reminder sent for this invoice.")
    webo_reminder_date = fields.Date(
        string="Last Reminder On", compute="_compute_webo_last_reminder",
        help="When the last reminder was sent.")
    webo_facturx_rule_failures = fields.Text(
        string="E-invoicing Rules Failed", readonly=True, copy=False,
        help="The official e-invoicing rules (EN 16931, French reform) the supplier's "
             "Factur-X failed when it was imported: ask the supplier for a corrected invoice.")
    webo_viewed_date = fields.Datetime(
        string="Viewed On", readonly=True, copy=False,
        help="When the client first opened the invoice's payment page (the designer's "
             "preview and link previews do not count). Empty: not viewed yet.")
    webo_reminder_paused = fields.Boolean(
        string="Reminders Paused", copy=False, readonly=True,
        help="No reminder is sent for this invoice until they are resumed.")

    # The database itself guarantees one invoice per subscription and
    # period, whatever runs the monthly invoicing and however often.
    _sql_constraints = [
        ("webo_subscription_period_unique", "UNIQUE (webo_subscription_id, webo_subscription_period)",
         "This period of the subscription has already been invoiced."),
    ]

    @api.model_cr
    def init(self):
        # The last issued invoice of a journal, read at each validation
        # (_webo_check_chronology), in one index lookup.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS account_invoice_webo_issued_date_index
                ON account_invoice (journal_id, date_invoice) WHERE move_name IS NOT NULL
        """)
        # The Synthèse counts the sent invoices their client has not opened.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS account_invoice_webo_unviewed_index
                ON account_invoice (company_id)
             WHERE type = 'out_invoice' AND state = 'open' AND webo_viewed_date IS NULL
        """)
        # The Synthèse counts the invoices whose email waits or failed: few
        # among all, found in this index alone.
        self.env.cr.execute("""
            CREATE INDEX IF NOT EXISTS account_invoice_webo_email_todo_index
                ON account_invoice (company_id, webo_email_state)
             WHERE webo_email_state IN ('pending', 'failed')""")

    @api.depends("type", "state", "residual", "amount_total", "date_due", "webo_credit_note_id",
                 "webo_email_state")
    def _compute_webo_state(self):
        today = fields.Date.context_today(self)
        for invoice in self:
            invoice.webo_state = invoice._webo_state_on(today)

    @api.depends("webo_email_state", "webo_email_error")
    def _compute_webo_email_status(self):
        labels = dict(self._fields["webo_email_state"]._description_selection(self.env))
        for invoice in self:
            status = labels[invoice.webo_email_state]
            if invoice.webo_email_error and invoice.webo_email_state == "failed":
                status = _("Email failed: %(reason)s") % {"reason": invoice.webo_email_error}
            elif invoice.webo_email_error and invoice.webo_email_state == "pending":
                status = _("Email pending (tried again: %(reason)s)") % {
                    "reason": invoice.webo_email_error}
            invoice.webo_email_status = status

    @api.depends("webo_reminder_ids")
    def _compute_webo_last_reminder(self):
        for invoice in self:
            last = invoice.webo_reminder_ids.sorted(lambda r: (r.level_id.days, r.id))[-1:]
            invoice.webo_reminder_level_id = last.level_id
            invoice.webo_reminder_date = last.date

    @api.depends("partner_id")
    def _compute_webo_billing_partner_id(self):
        contacts = {}  # once per client: many invoices share one
        for invoice in self:
            partner = invoice.partner_id
            if partner not in contacts:
                contacts[partner] = partner and partner._webo_billing_contact()
            invoice.webo_billing_partner_id = contacts[partner]

    @api.depends("access_token")
    def _compute_webo_payment_url(self):
        base_url = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        for invoice in self:
            if invoice.id and invoice.access_token:
                invoice.webo_payment_url = "%s/my/invoices/%d?access_token=%s" % (
                    base_url, invoice.id, invoice.access_token)

    def _compute_webo_stripe_refundable(self):
        refunds = self.env["webo.stripe.refund"]
        for invoice in self.filtered(lambda i: i.company_id.webo_workspace and i.state in ("open", "paid")):
            if invoice.type == "out_refund":
                invoice.webo_stripe_refundable = sum(refunds._webo_refundable(invoice).values())
            elif invoice.type == "out_invoice":
                invoice.webo_stripe_refundable = sum(invoice._webo_stripe_payments().mapped("amount"))

    def _compute_webo_payment_journal_id(self):
        invoices = self.filtered(lambda i: i.company_id.webo_workspace and i.type == "out_invoice")
        services = self.env["webo.sale.service"].sudo().search(
            [("company_id", "in", invoices.mapped("company_id").ids), ("state", "=", "open")])
        journals = {service.company_id: service.payment_journal_id for service in services}
        for invoice in invoices:
            invoice.webo_payment_journal_id = journals.get(invoice.company_id)

    @api.constrains("webo_credit_note_id")
    def _check_webo_credit_note_id(self):
        for invoice in self.filtered("webo_credit_note_id"):
            credit_note = invoice.webo_credit_note_id
            if (credit_note.type != "out_refund" or credit_note.refund_invoice_id != invoice
                    or not credit_note._webo_is_issued()):
                raise ValidationError(_(
                    "Invoice %(number)s can only be marked cancelled by an issued credit note made "
                    "for it: use Actions > Cancel the invoice."
                ) % {"number": invoice.number or invoice.name})

    @api.constrains("partner_id", "company_id")
    def _check_webo_partner_company(self):
        customer_invoices = self.filtered(
            lambda i: i.company_id.webo_workspace and i.type in ("out_invoice", "out_refund"))
        for invoice in customer_invoices:
            partner_company = invoice.partner_id.sudo().commercial_partner_id.company_id
            if partner_company and partner_company != invoice.company_id:
                raise ValidationError(_(
                    "%s is not a client of this workspace: you can only invoice your own clients."
                ) % invoice.partner_id._webo_label())

    @api.multi
    def unlink(self):
        self._webo_refuse_if_issued(_("deleted"))
        return super().unlink()

    @api.multi
    def action_invoice_open(self):
        """An invoice or credit note of a workspace is issued only if its
        e-invoice passes the official rules (schema, EN 16931, BR-FR):
        otherwise nothing is issued and the message names the rule."""
        to_check = self.filtered(lambda i: i.type in ("out_invoice", "out_refund")
                                 and i.company_id.webo_workspace)
        # Issuing is sending: a client's invoice goes out only once the
        # workspace can be paid (a credit note only follows a sent invoice).
        to_check.filtered(lambda i: i.type == "out_invoice").mapped(
            "company_id")._webo_check_service_open()
        to_check._webo_check_seller_identifiers()
        for invoice in to_check:
            # An e-invoice names an electronic address of its client
            # (BR-FR-12), and the product sends every invoice by email.
            invoice._webo_check_email_recipients()
        result = super().action_invoice_open()
        for invoice in to_check:
            invoice._webo_facturx_xml()
        return result

    @api.multi
    def action_move_create(self):
        self._webo_check_chronology()
        return super().action_move_create()

    @api.multi
    def action_invoice_cancel(self):
        self._webo_refuse_if_issued(_("cancelled"))
        return super().action_invoice_cancel()

    @api.multi
    def action_invoice_draft(self):
        self._webo_refuse_if_issued(_("reset to draft"))
        return super().action_invoice_draft()

    @api.multi
    def invoice_print(self):
        """Odoo's "Print" button: a workspace's invoices print as their
        legal PDF, not Odoo's plain report (printing is not sending: the
        invoice is marked sent by its email only)."""
        if self and all(invoice.company_id.webo_workspace and invoice.type in ("out_invoice", "out_refund")
                        for invoice in self):
            return self._webo_report().report_action(self)
        return super().invoice_print()

    @api.multi
    def action_webo_resend(self):
        """The "Renvoyer par mail" modal."""
        self.ensure_one()
        return wizard_action("webo.invoice.resend", _("Resend by email"),
                             {"default_invoice_id": self.id})

    @api.multi
    def action_webo_cancel(self):
        """The "Annuler la facture" wizard, which can only create a credit note."""
        self.ensure_one()
        self._webo_check_can_be_credited()
        return wizard_action("webo.invoice.cancel", _("Cancel the invoice"),
                             {"default_invoice_id": self.id})

    @api.multi
    def action_webo_resume(self):
        """A draft's "Reprendre et envoyer": the invoice wizard, where the
        draft was left."""
        self.ensure_one()
        if self.state != "draft" or self.type != "out_invoice":
            raise UserError(_("Only a draft invoice can be taken up again: %s is already sent.")
                            % self.number)
        wizard = self.env["webo.invoice.wizard"]._from_draft(self)
        return wizard._reopen()

    @api.multi
    def action_webo_open_payment_page(self):
        """The client's page, as the client sees it."""
        self.ensure_one()
        return {"type": "ir.actions.act_url", "url": self.webo_payment_url, "target": "new"}

    @api.multi
    @public_method
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
    @public_method
    def webo_retry_emails(self):
        """"Renvoyer" after a failure: the invoice's emails that failed for
        good (the invoice itself, its credit note email, a reminder, a
        receipt) go back to the mail queue as they are, to the recipients'
        current addresses, with their Message-Id: a client never gets two
        different copies. Returns the number of emails queued again."""
        self._webo_check_designer_access()
        count = 0
        for invoice in self:
            mails = invoice._webo_failed_mails()
            if not mails:
                raise UserError(_("No email of %(name)s has failed: there is nothing to resend. "
                                  "To send the invoice again, use \"Resend by email\".")
                                % {"name": invoice.number or invoice.name})
            without_address = mails.mapped("recipient_ids").filtered(lambda partner: not partner.email)
            if without_address:
                raise UserError(_(
                    "%(contact)s has no email address: add one, then resend."
                ) % {"contact": without_address[0].display_name})
            mails._webo_requeue()
            count += len(mails)
        return count

    @api.multi
    def action_webo_retry_emails(self):
        self.webo_retry_emails()
        return True

    @api.multi
    @public_method
    def webo_cancel_with_credit_note(self):
        """Cancel a sent invoice the only lawful way: a credit note for its
        whole amount, validated, reconciled with it and sent to the client.
        Returns the credit note's id."""
        self.env["webo.api"]._check_one(self)
        self._webo_check_designer_access()
        self._webo_check_can_be_credited()
        # Before the number is taken (see ir.actions.report).
        self.env["ir.actions.report"]._webo_prepare_report_assets()
        credit_note = self._webo_new_credit_note()
        credit_note.action_invoice_open()
        self._webo_reconcile_with(credit_note)
        self.webo_credit_note_id = credit_note
        credit_note._webo_post_email()
        self.message_post(body=_("Cancelled by the credit note %s.") % credit_note.number)
        return credit_note.id

    @api.multi
    @public_method
    def webo_refund_by_stripe(self, amount=None):
        """"Rembourser le client par Stripe" on a credit note whose invoice
        was paid by card or SEPA debit: a Refund of that payment on the
        workspace's connected account, for ``amount`` (default: all that
        can be refunded, at most what the credit note credits of what was
        paid through Stripe, less earlier refunds), recorded as an outbound
        payment reconciled with the credit note. Returns the Stripe ids of
        the refunds made."""
        self.env["webo.api"]._check_one(self)
        self._webo_check_designer_access()
        # One refund of a credit note at a time: a double click waits here,
        # then finds nothing left to refund.
        self.env.cr.execute("SELECT id FROM account_invoice WHERE id = %s FOR UPDATE", [self.id])
        self.invalidate_cache()
        return self.env["webo.stripe.refund"]._webo_refund(self, amount).mapped("refund_id")

    @api.multi
    def action_webo_refund_by_stripe(self):
        self.webo_refund_by_stripe()
        return True

    @api.multi
    @public_method
    def webo_facturx_pdf(self):
        """The Factur-X PDF of an issued invoice or credit note, base64
        encoded: the very PDF sent to the client. Only someone who can read
        the invoice gets it."""
        self.env["webo.api"]._check_one(self)
        self.check_access_rights("read")
        self.check_access_rule("read")
        if not self._webo_is_issued() or self.state not in ("open", "paid"):
            raise UserError(_(
                "Only an issued invoice or credit note has a Factur-X PDF: "
                "%(name)s is not issued yet."
            ) % {"name": self.number or self.name or self.partner_id.display_name})
        return self._webo_pdf_attachment().datas.decode("ascii")

    @api.model
    @public_method
    def webo_import_facturx(self, content, filename=None):
        """Import a supplier's Factur-X PDF (base64) as a draft vendor bill
        of the user's workspace; returns its id (see webo.facturx.import)."""
        checks = self.env["webo.api"]
        if not isinstance(content, bytes):
            checks._check_text(content, _("The PDF (base64)"))
        checks._check_text(filename, _("The file name"), required=False)
        return self.env["webo.facturx.import"].import_pdf(content, filename).id

    @api.multi
    @public_method
    def webo_register_payment(self, amount, payment_date=None, journal_id=None, communication=None,
                              idempotency_key=None):
        """Record a payment the designer received for this invoice (a
        cheque, a transfer seen on the bank account...): by default in the
        workspace's payment-receiving journal, dated today. Returns the
        payment's id. The invoice is then paid or partially paid, and the
        designer and the client are told (see ``_webo_payment_received``).

        ``idempotency_key`` (a text the caller chooses, unique per payment):
        a call repeated with the same key, after a lost answer or a failed
        request, returns the payment it recorded instead of recording a
        second one."""
        checks = self.env["webo.api"]
        checks._check_one(self)
        self._webo_check_designer_access()
        self._webo_check_idempotency_key(idempotency_key)
        # Payments of one invoice one at a time: a second one waits here,
        # and PostgreSQL makes Odoo replay it (with a fresh view) if the
        # first changed the invoice meanwhile; it then finds its key.
        self.env.cr.execute("SELECT id FROM account_invoice WHERE id = %s FOR UPDATE", [self.id])
        if idempotency_key:
            done = self._webo_payment_with_key(idempotency_key, amount)
            if done:
                return done.id
        if self.type != "out_invoice" or self.state != "open":
            raise UserError(_(
                "Only a sent invoice awaiting payment can receive a payment: %(name)s is %(state)s."
            ) % {"name": self.number or self.name or self.partner_id.display_name,
                 "state": dict(self._fields["webo_state"]._description_selection(self.env))[
                     self.webo_state]})
        if not isinstance(amount, (int, float)) or float_compare(
                amount, 0.0, precision_rounding=self.currency_id.rounding) <= 0:
            raise UserError(_("Enter the amount received, a positive number (e.g. 120.50)."))
        payment_date = checks._check_date(payment_date, _("The payment date"), required=False)
        checks._check_id(journal_id, _("The journal"), required=False)
        checks._check_text(communication, _("The communication"), required=False)
        payment = self._webo_post_payment(amount, self._webo_payment_journal(journal_id),
                                          payment_date=payment_date, communication=communication,
                                          webo_idempotency_key=idempotency_key or False)
        return payment.id

    def _webo_takes_payment(self, amount, reference):
        """Whether a client's payment of ``amount`` received at a payment
        provider (``reference``: the provider's) can be recorded on this
        invoice: it is open and owes at least that. Otherwise the money is
        there all the same: a note on the invoice tells the designer to
        refund the client or record it by hand."""
        self.ensure_one()
        if self.state == "open" and float_compare(
                amount, self.residual, precision_rounding=self.currency_id.rounding) <= 0:
            return True
        self.message_post(body=_(
            "The payment %(reference)s of %(amount)s was not recorded: the invoice owes "
            "%(residual)s. Refund the client or record the payment by hand."
        ) % {"reference": reference,
             "amount": formatLang(self.env, amount, currency_obj=self.currency_id),
             "residual": formatLang(self.env, self.residual, currency_obj=self.currency_id)},
            **self._webo_author())
        return False

    def _webo_post_payment(self, amount, journal, payment_date=None, communication=None, **values):
        """Record and post a client's payment of ``amount`` for this invoice
        in ``journal``, reconciled with it (the designers' alert, the
        client's receipt and the Synthèse follow from the posting), as the
        caller's user; ``values``: the payment's other values (where it
        came from). Every way a client pays an invoice ends here, and every
        refund of a credit note (the money going back to the client)."""
        self.ensure_one()
        outbound = self.type == "out_refund"
        methods = journal.outbound_payment_method_ids if outbound else journal.inbound_payment_method_ids
        payment = self.env["account.payment"].with_context(
            force_company=self.company_id.id, company_id=self.company_id.id).create(dict({
                "payment_type": "outbound" if outbound else "inbound",
                "partner_type": "customer",
                "partner_id": self.commercial_partner_id.id,
                "amount": amount,
                "currency_id": self.currency_id.id,
                "journal_id": journal.id,
                "payment_method_id": methods[:1].id,
                "payment_date": payment_date or fields.Date.context_today(self),
                "communication": communication or self.number,
                "invoice_ids": [(6, 0, self.ids)],
            }, **values))
        payment.post()
        return payment

    @api.model
    def _webo_check_idempotency_key(self, key):
        if key is not None and key is not False and (
                not isinstance(key, str) or not key.strip() or len(key) > 200):
            raise UserError(_("The idempotency key must be a text of 1 to 200 characters, "
                              "unique to the operation (e.g. a UUID)."))

    def _webo_payment_with_key(self, key, amount):
        """The payment this key already recorded in the workspace, after
        checking it is the same payment (this invoice, this amount)."""
        payment = self.env["account.payment"].sudo().search(
            [("webo_idempotency_key", "=", key), ("company_id", "=", self.company_id.id)], limit=1)
        if payment and (self not in payment.invoice_ids or float_compare(
                payment.amount, amount, precision_rounding=self.currency_id.rounding)):
            raise UserError(_(
                "The idempotency key %(key)s has already recorded another payment (%(amount)s on "
                "%(numbers)s): use a new key for a new payment."
            ) % {"key": key, "amount": formatLang(self.env, payment.amount, currency_obj=payment.currency_id),
                 "numbers": ", ".join(payment.invoice_ids.mapped("number"))})
        return payment.sudo(self.env.uid)

    @api.model
    @public_method
    def webo_reminders_due(self, date=None):
        """The reminders a run on ``date`` (default today) would send: of
        the user's workspace for a designer, of every workspace for the
        platform operator. A list of {invoice_id, number, client, level_id,
        level, days_late, amount_due}, by invoice."""
        companies = self._webo_reminder_scope()
        date = self.env["webo.api"]._check_date(date, _("The date"), required=False) \
            or fields.Date.context_today(self)
        reminders = self.env["webo.invoice.reminder"].sudo()
        due = reminders._due(date, companies)
        invoices = self.sudo().browse([row[0] for row in due])
        levels = self.env["webo.reminder.level"].sudo().browse([row[1] for row in due])
        return [{
            "invoice_id": invoice.id,
            "number": invoice.number,
            "client": invoice.commercial_partner_id.name,
            "level_id": level.id,
            "level": level.name,
            "days_late": days,
            "amount_due": invoice.residual,
        } for invoice, level, days in zip(invoices, levels, (row[2] for row in due), strict=True)]

    @api.model
    @public_method
    def webo_run_reminders(self, date=None):
        """Send the reminders due on ``date`` (default today; not later):
        the designer's workspace only, every workspace for the platform
        operator. Each batch is committed. Returns how many were sent."""
        companies = self._webo_reminder_scope()
        today = fields.Date.context_today(self)
        date = self.env["webo.api"]._check_date(date, _("The date"), required=False) or today
        if date > today:
            raise UserError(_(
                "Reminders cannot be sent ahead of time (%(date)s given, today is %(today)s): "
                "use webo_reminders_due to see what a later day will send."
            ) % {"date": webo_date(self.env, date), "today": webo_date(self.env, today)})
        return self.env["webo.invoice.reminder"].sudo()._run(date, companies)

    @api.model
    def _cron_webo_send_reminders(self):
        """The daily scheduled job: every workspace's reminders due today."""
        return self.env["webo.invoice.reminder"].sudo()._run(fields.Date.context_today(self))

    def _webo_reminder_scope(self):
        """The workspaces the user's reminder calls act on: their own for a
        designer, all (None) for the platform operator."""
        user = self.env.user
        if user.has_group("webo_sale.group_platform_operator"):
            return None
        if user.has_group("webo_sale.group_designer") and user.company_id.webo_workspace:
            return user.company_id
        raise AccessError(_("Only a designer (for their workspace) or the platform operator "
                            "can handle reminders."))

    def _webo_log_reminder_failure(self, date, error):
        """Tell the workspace's designers, on the invoice and in their inbox,
        in their language, why its reminder was not sent."""
        invoice = self.sudo()
        designers = invoice.company_id._webo_designers()
        for local, partners in designers._webo_by_language(invoice):
            local.message_post(
                body=local._webo_reminder_failure_text(date, error),
                message_type="notification", subtype="mail.mt_note", partner_ids=partners.ids)

    def _webo_reminder_failure_text(self, date, error):
        """Why the reminder due on ``date`` was not sent, in the context's
        language."""
        return _("The reminder due on %(date)s could not be sent: %(error)s The next run "
                 "tries again.") % {"date": date, "error": error_text(error)}

    def _webo_reminder_pause_targets(self, companies):
        for invoice in self.sudo():
            if companies is not None and invoice.company_id != companies:
                raise AccessError(_(
                    "This invoice belongs to another workspace: you can only pause or resume "
                    "the reminders of your own invoices."))
            if invoice.type != "out_invoice" or invoice.state not in ("open", "paid"):
                raise UserError(_(
                    "Invoice %(invoice)s is not issued: only a sent invoice has reminders to "
                    "pause or resume."
                ) % {"invoice": invoice.name or invoice.partner_id.display_name})
        return self.sudo()

    def _webo_reminder_pause_note(self, paused):
        return _("Reminders paused.") if paused else _("Reminders resumed.")

    def _webo_receiving_bank_account(self):
        """The bank account the client pays into (its IBAN goes in the
        Factur-X, see RECEIVING_BANK_SQL), as superuser: the workspace's
        account, whoever reads the invoice."""
        self.ensure_one()
        self.env.cr.execute(RECEIVING_BANK_QUERY, [self.id])
        row = self.env.cr.fetchone()
        return self.env["res.partner.bank"].sudo().browse(row and row[0])

    def _webo_epc_qr(self, kind="svg"):
        """The EPC QR code (data URI) asking for a transfer of what this
        invoice still owes, the number as reference; None when there is
        nothing to pay by transfer."""
        self.ensure_one()
        bank = self._webo_receiving_bank_account()
        if (self.type != "out_invoice" or self.state != "open" or self.currency_id.name != "EUR"
                or not bank or not self.number):
            return None
        return epc_qr_data_uri(self.company_id.name, bank.acc_number, self.residual, self.number,
                               bank.bank_bic or None, kind=kind)

    def _webo_facturx_xml(self):
        """The Factur-X XML (EN 16931) of the issued invoice, as bytes,
        checked against the official schema."""
        self.ensure_one()
        if self.type not in ("out_invoice", "out_refund") or not self.number:
            raise UserError(_("Only an issued invoice or credit note has a Factur-X XML."))
        return FacturxWriter(self).xml()

    def _webo_facturx_refusal(self, failures):
        """The French message refusing an e-invoice that fails ``failures``
        (RuleFailure): each rule with its official text."""
        rules = "\n".join("- %s (%s) : %s" % (failure.rule, failure.artefact, failure.message)
                           for failure in failures)
        return _(
            "The electronic invoice (Factur-X) of %(number)s does not pass the official "
            "rules, so it cannot be issued. Correct what they name and issue it again:\n%(rules)s"
        ) % {"number": self.number or self.move_name or self.name or "", "rules": rules}

    def _webo_check_seller_identifiers(self):
        """What the workspace itself must give before any invoice, in plain
        words rather than as the e-invoice rules that would refuse it."""
        for company in self.mapped("company_id"):
            seller = company.partner_id
            if not FacturxWriter.siren(company.siret or seller.siret, company.vat or seller.vat):
                raise UserError(_(
                    "Your workspace %(workspace)s has no SIRET: French law requires it on every "
                    "invoice and electronic invoice. Enter it in your company information "
                    "(Sales > Dashboard > Information) before issuing an invoice."
                ) % {"workspace": company.name})
            taxed = self.filtered(lambda i, company=company: i.company_id == company
                                  and i.invoice_line_ids.mapped("invoice_line_tax_ids"))
            if taxed and not (company.vat or seller.vat):
                raise UserError(_(
                    "Your workspace %(workspace)s charges VAT but has no intra-community VAT "
                    "number: French law requires it on an invoice with VAT. Enter it in your "
                    "company information (Sales > Dashboard > Information) before issuing."
                ) % {"workspace": company.name})

    def _webo_facturx_parts(self):
        """What the issued PDF embeds: {"xml": its Factur-X XML, checked,
        "metadata": the PDF's metadata}."""
        self.ensure_one()
        return {"xml": self._webo_facturx_xml(), "metadata": FacturxWriter(self).pdf_metadata()}

    def _webo_facturx_embed(self, pdf, xml=None, metadata=None):
        """The issued PDF with its Factur-X XML embedded: a PDF/A-3 (the XML
        and metadata are made here unless given, see _webo_facturx_parts)."""
        self.ensure_one()
        if xml is None or metadata is None:
            parts = self._webo_facturx_parts()
            xml, metadata = parts["xml"], parts["metadata"]
        return facturx_pdfa3(pdf, xml, metadata)

    def _get_default_access_token(self):
        return secrets.token_urlsafe(32)

    def _webo_is_payable(self):
        """Whether the client can still pay it: sent, not fully paid, not
        cancelled by a credit note."""
        self.ensure_one()
        return is_payable(self.type, self.state, bool(self.webo_credit_note_id), self.residual,
                          self.currency_id.rounding)

    def _webo_payment_journal(self, journal_id=None):
        """Where a payment of this invoice is recorded: the journal asked
        for (a bank or cash journal of the workspace), else the workspace's
        payment-receiving account, else its first bank journal."""
        self.ensure_one()
        journals = self.env["account.journal"]
        if journal_id:
            journal = journals.sudo().browse(journal_id).exists()
            if (not journal or journal.company_id != self.company_id
                    or journal.type not in ("bank", "cash")):
                raise UserError(_("Choose a bank or cash journal of your workspace to record the payment."))
            return journal.sudo(self.env.uid)
        journal = self.webo_payment_journal_id.sudo(self.env.uid) or journals.search(
            [("company_id", "=", self.company_id.id), ("type", "=", "bank")], limit=1)
        if not journal:
            raise UserError(_("Your workspace has no bank journal to record the payment in: "
                              "open your sales service first."))
        return journal

    def _webo_amounts_due(self, fresh=False):
        """{invoice: what it still owes}. ``fresh``: while Odoo's
        recomputations wait (a batch of bank statement lines), the amount
        due computed from the journal items as they are now, not the one
        last written."""
        if not fresh:
            return {invoice: invoice.residual for invoice in self}
        # Computed for these invoices alone (Odoo would compute it for
        # every invoice waiting), in cache: the batch's recomputation
        # writes it, once the journal items' residuals are written.
        field = self._fields["residual"]
        self.invalidate_cache(["residual"], self.ids)
        self._recompute_todo(field)
        due = {invoice: invoice.residual for invoice in self}
        self.env.remove_todo(field, self)
        return due

    def _webo_payment_received(self, amount, payments):
        """A client payment of ``amount`` was just reconciled with this
        invoice: the designers get an alert (email and Odoo notification,
        as each of them chose in their preferences), the client a receipt."""
        self.ensure_one()
        invoice = self.sudo()
        method = self._webo_payment_method_label(payments[:1])
        # A bank statement's import alerts once for all the payments it
        # recognised (account.bank.statement._webo_alert_payments).
        if not self.env.context.get("webo_summary_alert"):
            invoice._webo_alert_payment(amount, method)
        client = self.webo_billing_partner_id
        if client.email:
            template = self.env.ref("webo_sale.mail_template_payment_receipt")
            invoice.with_context(webo_amount_received=amount, webo_payment_method=method)._webo_post_template(
                template, client, "webo_sale.mt_payment_receipt")

    def _webo_alert_payment(self, amount, method):
        """The designers' alert of one payment of this invoice."""
        designers = self.company_id._webo_designers()
        for local, partners in designers._webo_by_language(self):
            message = local.message_post(
                subject=local._webo_payment_alert_subject(),
                body=local._webo_payment_alert_body(amount, method),
                subtype="webo_sale.mt_payment_received", message_type="notification",
                partner_ids=partners.ids,
                # The client paid: their name in the chatter. (Signed by the
                # workspace, Odoo would not email the designers who share its
                # address.)
                author_id=self.commercial_partner_id.id, email_from=self._webo_author()["email_from"])
            self._webo_keep_in_inbox(message, partners)

    def _webo_keep_in_inbox(self, message, partners):
        """Odoo files a notification its recipient handles by email as
        already read: a payment alert stays in the designers' Odoo inbox as
        well, and shows there at once."""
        notifications = self.env["mail.notification"].sudo().search([
            ("mail_message_id", "=", message.id), ("res_partner_id", "in", partners.ids),
            ("is_read", "=", True)])
        notifications.write({"is_read": False})
        notifications.mapped("res_partner_id")._notify_by_chat(message)

    def _webo_payment_method_label(self, payment):
        """How the client paid, in words the client and the designer know:
        the method chosen on the payment page (card, transfer), else a
        transfer or a cheque (cash in a cash journal); never the name of the
        workspace's internal journal."""
        if payment.webo_stripe_checkout_id:
            return payment.webo_stripe_checkout_id._webo_method_label()
        acquirer = payment.payment_transaction_id.acquirer_id
        if acquirer:
            return acquirer.name
        if payment.journal_id.type == "cash":
            return _("Cash")
        return _("Bank transfer or cheque")

    def _webo_payment_alert_subject(self):
        return _("Payment received: %(number)s") % {"number": self.number}

    def _webo_payment_alert_body(self, amount, method):
        values = {
            "client": self.commercial_partner_id.name,
            "amount": formatLang(self.env, amount, currency_obj=self.currency_id),
            "method": method,
            "number": self.number,
            "residual": formatLang(self.env, self.residual, currency_obj=self.currency_id),
        }
        if self.state == "paid":
            return _("%(client)s paid %(amount)s (%(method)s): invoice %(number)s is paid.") % values
        return _("%(client)s paid %(amount)s (%(method)s) on invoice %(number)s; "
                 "%(residual)s remain due.") % values

    def _webo_post_template(self, template, partners, subtype):
        """Email ``template`` rendered for this invoice to ``partners``, in
        the client's language, through the mail queue, logged in the
        chatter (``subtype``, which nobody follows: only ``partners`` get it)."""
        self.ensure_one()
        lang = partners[:1].lang or self.partner_id.lang
        # The invoice's context (e.g. the amount received) is the template's.
        template = template.with_env(self.env).with_context(lang=lang)
        subject = template.render_template(template.subject, self._name, self.ids)[self.id]
        body = template.render_template(template.body_html, self._name, self.ids,
                                        post_process=True)[self.id]
        self.with_context(mail_notify_force_send=False, lang=lang).message_post(
            subject=subject, body=body, partner_ids=partners.ids, message_type="comment",
            subtype=subtype, **self._webo_author())

    def _webo_author(self):
        """What the service writes on its own (a payment came in, from a
        client online or a bank statement) is signed by the workspace:
        neither the anonymous visitor nor the platform's administrator."""
        partner = self.company_id.partner_id
        return {"author_id": partner.id, "email_from": partner.email_formatted if partner.email else None}

    def _webo_check_designer_access(self):
        """Resending and crediting act for the workspace: they need the
        right to change its invoices, which a client reading their own
        invoice on the portal does not have."""
        self.check_access_rights("write")
        self.check_access_rule("write")

    def _webo_state_on(self, today):
        self.ensure_one()
        return webo_state_of(bool(self.webo_credit_note_id), self.state, self.date_due, self.residual,
                             self.amount_total, self.currency_id.rounding, today,
                             email_state=self.webo_email_state, refund=self.type == "out_refund")

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

    def _webo_issued_invoices(self):
        return self.filtered(lambda invoice: invoice._webo_is_issued())

    def _webo_check_write(self, vals):
        if "webo_viewed_date" in vals and self.env.uid != SUPERUSER_ID:
            raise UserError(_("The date the client viewed the invoice is recorded by its payment "
                              "page only: it cannot be written."))
        result = super()._webo_check_write(vals)
        if "state" in vals:
            self._webo_issued_invoices()._webo_check_state_change(vals["state"])
        return result

    def _webo_check_chronology(self):
        """Customer invoices and credit notes get their numbers in the
        order of their dates: a date is neither in the future nor before
        the date of the last one issued in its journal. (Two validations at
        once are safe: the journal's gapless sequence is a locked row, and
        PostgreSQL makes the later one start again, seeing the other.)"""
        to_issue = self.filtered(
            lambda invoice: invoice.type in ("out_invoice", "out_refund") and not invoice.move_id)
        if not to_issue:
            return
        today = fields.Date.context_today(self)
        self.env.cr.execute("""
            SELECT journal_id, MAX(date_invoice) FROM account_invoice
             WHERE journal_id IN %s AND move_name IS NOT NULL GROUP BY journal_id
        """, [tuple(to_issue.mapped("journal_id").ids)])
        # An invoice of a journal issued in the future before this rule
        # does not block the journal: it then takes today's.
        last = {journal: min(day, today) for journal, day in self.env.cr.fetchall()}
        for invoice in to_issue:
            day = invoice.date_invoice or today
            earliest = last.get(invoice.journal_id.id)
            if day > today or (earliest and day < earliest):
                self._webo_refuse_invoice_date(invoice, day, earliest, today)
            last[invoice.journal_id.id] = max(day, earliest or day)

    def _webo_refuse_invoice_date(self, invoice, day, earliest, today):
        reason = _("Invoices are numbered in the order of their dates: an invoice is dated "
                   "neither in the future nor before the last invoice issued in its journal "
                   "(%(journal)s).") % {"journal": invoice.journal_id.name}
        label = _("The credit note date") if invoice.type == "out_refund" else _("The invoice date")
        self.env["webo.api"]._refuse_date(label, fields.Date.from_string(day),
                                          earliest and fields.Date.from_string(earliest),
                                          fields.Date.from_string(today), reason=reason)

    @api.model
    def _webo_check_invoice_date(self, journal, day):
        """Refuse, before anything is made, an invoice date its validation
        would refuse (see _webo_check_chronology)."""
        self.new({"type": "out_invoice", "journal_id": journal.id,
                  "date_invoice": day})._webo_check_chronology()

    def _webo_check_state_change(self, state):
        """An issued invoice is validated (draft to open), then paid and
        open again as its reconciliation goes; never cancelled nor back to
        draft, and never paid by a plain write."""
        for invoice in self.filtered(lambda i: i.state != state):
            lawful = ((state == "open" and invoice.state == "draft")
                      or (state == "paid" and invoice.state == "open" and invoice.reconciled)
                      or (state == "open" and invoice.state == "paid" and not invoice.reconciled))
            if not lawful:
                self._webo_refuse_change(invoice, self._webo_field_labels({"state"}))

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
        # Paid through Stripe, the credit note's "Refund the client by
        # Stripe" gives the money back; paid otherwise, the designer refunds
        # first.
        if self.state == "paid" and not self._webo_stripe_payments():
            raise UserError(_("Invoice %s is paid: refund your client before cancelling it.")
                            % self.number)

    def _webo_stripe_payments(self):
        """The card or SEPA debit payments (through Stripe) of this invoice."""
        return self.sudo().payment_ids.filtered(
            lambda payment: payment.webo_stripe_checkout_id and payment.state != "cancelled")

    def _webo_new_credit_note(self):
        """A draft credit note for the whole invoice (Odoo's refund)."""
        return self.refund(description=_("Credit note for invoice %s") % self.number)

    def _webo_reconcile_with(self, credit_note):
        lines = (self.move_id.line_ids | credit_note.move_id.line_ids).filtered(
            lambda line: line.account_id == self.account_id and not line.reconciled)
        # A paid invoice has nothing left to meet: the credit note stays
        # due to the client (refunded through Stripe).
        if lines.filtered(lambda line: line.invoice_id == self):
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
            try:
                # Never a commit here: this invoice may have just taken its
                # number (the callers generate the style sheets first).
                content, _format = report.with_context(webo_no_commit=True).render_qweb_pdf(self.ids)
            except PdfRenderingError as error:
                # Raised, the transaction (or the run's savepoint) takes the
                # number back: no number without its legal PDF.
                raise UserError(_(
                    "The PDF of %(document)s for %(client)s could not be made, so nothing was "
                    "issued or sent: %(reason)s Try again in a few minutes; if it fails again, "
                    "contact webo-facto."
                ) % {"document": self.name or self.number, "client": self.partner_id.display_name,
                     "reason": error.name}) from error
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

    def _webo_post_email(self, subject=None, body=None, partners=None, mark_pending=True):
        """Email the invoice (or credit note) with its PDF to the billing
        contact through Odoo's mail queue, logged in the chatter. Its email
        is then pending (unless ``mark_pending`` is false: the caller marks
        several at once), and sent once the mail server accepts it."""
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
        if mark_pending:
            self.write({"webo_email_state": "pending", "webo_email_error": False})

    def _webo_email_delivery_changed(self, message, state, reason):
        """The mail queue tells where an email of this invoice stands; the
        invoice shows its own email's (the last one that carried it: a
        reminder or a receipt has its state on its message). "Sent" only
        once the mail server accepted it."""
        self.ensure_one()
        if message.subtype_id != self.env.ref("webo_sale.mt_invoice_sent"):
            return
        self.env.cr.execute(
            "SELECT max(id) FROM mail_message WHERE model = %s AND res_id = %s AND subtype_id = %s",
            (self._name, self.id, message.subtype_id.id))
        if self.env.cr.fetchone()[0] != message.id:
            return  # an older sending
        values = {"webo_email_state": state, "webo_email_error": reason or False}
        if state == "sent":
            values["sent"] = True
        if any(self[name] != value for name, value in values.items()):
            self.sudo().write(values)

    def _webo_email_failure_hint(self):
        """What the designer does about an email of the invoice that failed
        (in the alert)."""
        return _("Check the client's email address, then click \"Resend\" on %(name)s.") % {
            "name": self.number or self.name}

    def _webo_failed_mails(self):
        """The emails of this invoice to its client that failed for good
        (not the designers' alerts)."""
        self.ensure_one()
        return self.env["mail.mail"].sudo().search(
            [("model", "=", self._name), ("res_id", "=", self.id), ("state", "=", "exception"),
             ("subtype_id", "!=", self.env.ref("webo_sale.mt_email_failed").id)])

    def _webo_form_action(self):
        """The invoice's own page (webo's form), in the main window, as the
        Factures menu's: the page's address names that action, so that
        reloading it shows webo's form again, not Odoo's."""
        self.ensure_one()
        action = self.env.ref("webo_sale.account_invoice_action").read()[0]
        action.update({
            "res_id": self.id,
            "view_mode": "form",
            "views": [(self.env.ref("webo_sale.account_invoice_view_form").id, "form")],
            "target": "current",
        })
        return action

    def _webo_start_subscription(self):
        """Make each monthly draft invoice the first period of a new
        subscription, billed on the invoice's day of the month from then on
        (before it is issued: what it bills is then fixed). Returns the
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
                "line_ids": [(0, 0, line._webo_billing_line_values())
                             for line in invoice.invoice_line_ids],
            })
            invoice.write(dict(subscription._period_values(1), webo_recurrence="monthly",
                               webo_subscription_id=subscription.id))
            subscriptions |= subscription
        return subscriptions

