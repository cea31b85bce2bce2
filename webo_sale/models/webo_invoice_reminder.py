import html
import logging
import re

from psycopg2.extras import execute_values

from odoo import _, api, fields, models, tools

from ..tools.batches import rate, run_in_batches
from ..tools.money import format_money
from .webo_reminder_level import PLACEHOLDER
from .webo_subscription import CONNECTION_LOST, error_text

_logger = logging.getLogger(__name__)

# Late invoices reminded per transaction by the daily run: each batch is
# committed, so a run stopped half-way keeps what it did.
DEFAULT_BATCH_SIZE = 1000
# The fixed recovery indemnity a business client owes on a late payment
# (French Commercial Code, art. L441-10 and D441-5).
RECOVERY_INDEMNITY_EUR = 40.0
URL = re.compile(r"(https?://[^\s<]+)")

# The late invoices whose highest level now due has not been sent, and that
# level: open customer invoices of a workspace with an amount still due,
# neither the invoice nor its client paused, and no reminder of that level
# or a later one sent yet (so a run after days of downtime sends the highest
# level only, and a level is never sent twice). %(filter)s narrows the
# invoices (workspaces, ids).
DUE_QUERY = """
SELECT DISTINCT ON (inv.id) inv.id, lvl.id, %(date)s::date - inv.date_due
  FROM account_invoice inv
  JOIN res_company company ON company.id = inv.company_id AND company.webo_workspace
  JOIN res_partner client ON client.id = inv.commercial_partner_id
  JOIN webo_reminder_level lvl ON lvl.company_id = inv.company_id AND lvl.active
       AND lvl.days <= %(date)s::date - inv.date_due
 WHERE inv.type = 'out_invoice' AND inv.state = 'open' AND inv.residual > 0
   AND inv.date_due < %(date)s::date
   AND NOT COALESCE(inv.webo_reminder_paused, FALSE)
   AND NOT COALESCE(client.webo_reminder_paused, FALSE)
   AND NOT EXISTS (
       SELECT 1 FROM webo_invoice_reminder sent
         JOIN webo_reminder_level sent_level ON sent_level.id = sent.level_id
        WHERE sent.invoice_id = inv.id
          AND (sent.level_id = lvl.id OR sent_level.days >= lvl.days))
   %(filter)s
 ORDER BY inv.id, lvl.days DESC
"""


class WeboInvoiceReminder(models.Model):
    """A reminder sent for a late invoice: which level, when, to whom, the
    amount then due and the penalties stated. Written by the daily run
    only; one per invoice and level, which the database guarantees."""

    _name = "webo.invoice.reminder"
    _description = "Invoice Reminder"
    _order = "date desc, id desc"

    invoice_id = fields.Many2one(
        "account.invoice", required=True, readonly=True, index=True,
        ondelete="cascade", help="The late invoice.")
    level_id = fields.Many2one(
        "webo.reminder.level", required=True, readonly=True,
        ondelete="restrict", help="Which reminder was sent.")
    company_id = fields.Many2one(
        "res.company", string="Workspace", required=True, readonly=True, index=True,
        help="The workspace of the invoice.")
    date = fields.Date(string="Sent On", required=True, readonly=True,
                       help="The day of the run that sent the reminder.")
    days_late = fields.Integer(readonly=True,
                               help="Days between the due date and the reminder.")
    partner_id = fields.Many2one("res.partner", string="Sent To", readonly=True,
                                 help="The billing contact who received the email.")
    currency_id = fields.Many2one("res.currency", readonly=True,
                                  help="The invoice's currency.")
    amount_due = fields.Monetary(readonly=True,
                                 help="What the client still owed that day.")
    penalty = fields.Monetary(string="Late-Payment Penalties", readonly=True,
                              help="The penalties due that day, stated in the reminder.")
    message_id = fields.Many2one("mail.message", string="Email", readonly=True,
                                 ondelete="set null",
                                 help="The email, also in the invoice's history.")
    email_state = fields.Selection(related="message_id.webo_delivery_state", readonly=True,
                                   string="Email Delivery",
                                   help="Whether the mail server accepted the reminder's email.")
    email_error = fields.Char(related="message_id.webo_delivery_error", readonly=True,
                              string="Email Delivery Problem",
                              help="Why the mail server has not accepted it.")

    _sql_constraints = [
        ("invoice_level_unique", "UNIQUE (invoice_id, level_id)",
         "This reminder has already been sent for this invoice."),
    ]

    # Entry points (account.invoice's public methods call these).

    @api.model
    def _due(self, date, companies=None, invoice_ids=None):
        """[(invoice id, level id, days late)] of the reminders due on ``date``."""
        conditions, params = [], {"date": date}
        if companies is not None:
            conditions.append("AND inv.company_id = ANY(%(companies)s)")
            params["companies"] = companies.ids
        if invoice_ids is not None:
            conditions.append("AND inv.id = ANY(%(invoices)s)")
            params["invoices"] = list(invoice_ids)
        query = DUE_QUERY.replace("%(filter)s", " ".join(conditions))
        self.env.cr.execute(query, params)
        return self.env.cr.fetchall()

    @api.model
    def _run(self, date, companies=None, batch_size=DEFAULT_BATCH_SIZE):
        """Send every reminder due on ``date`` (of ``companies``, default
        all the workspaces), batch after batch, each batch committed, its
        invoices locked with SKIP LOCKED so that several runs share the work.
        Returns the number of reminders sent. An invoice whose reminder
        fails, whatever the error, is logged on the invoice and left for the
        next run; the others go on.

        The context key ``webo_reminder_no_commit`` keeps everything in the
        caller's transaction (Odoo's test runner)."""
        total = len(self._due(date, companies))
        skipped = set()
        _logger.info("reminders due on %s: %d to send", date, total)

        def send(claimed):
            sent, without_email = self._send_isolated(date, self._due(date, companies, claimed))
            skipped.update(claimed)
            if without_email:
                _logger.warning("reminders: %d invoices not reminded, their client has no email "
                                "address or is archived (ids %s)", len(without_email), sorted(without_email))
            return sent, False

        def progress(done, seconds):
            _logger.info("reminders: %d/%d sent (%.0f reminders/s)", done, total, rate(done, seconds))

        return run_in_batches(
            self.env, lambda: self._claim_batch(date, companies, batch_size, skipped), send,
            commit=not self.env.context.get("webo_reminder_no_commit"), progress=progress)

    @api.model
    def _claim_batch(self, date, companies, batch_size, exclude):
        """Lock up to ``batch_size`` invoices with a reminder due; those
        another run holds are skipped, not waited for."""
        query = ["SELECT inv.id FROM account_invoice inv WHERE inv.id IN (SELECT due.id FROM (",
                 DUE_QUERY, ") AS due(id, level_id, days))",
                 "AND inv.id <> ALL(%(exclude)s)",
                 "ORDER BY inv.id LIMIT %(limit)s FOR NO KEY UPDATE SKIP LOCKED"]
        params = {"date": date, "exclude": list(exclude), "limit": batch_size}
        condition = ""
        if companies is not None:
            condition = "AND inv.company_id = ANY(%(companies)s)"
            params["companies"] = companies.ids
        self.env.cr.execute(" ".join(query).replace("%(filter)s", condition), params)
        return [row[0] for row in self.env.cr.fetchall()]

    # Sending a batch.

    @api.model
    def _send_isolated(self, date, due):
        """``_send`` the batch; if it fails, each invoice's reminder on its
        own, so that one failing invoice (logged on it) does not hold back
        the others. Returns what ``_send`` returns."""
        try:
            with self.env.cr.savepoint():
                return self._send(date, due)
        except CONNECTION_LOST:
            raise
        except Exception as error:  # pylint: disable=broad-except
            _logger.warning("reminders: batch sent one invoice at a time after %s", error_text(error))
        # The cache still holds what the savepoint rolled back.
        self.env.clear()
        sent, without_email = 0, []
        for row in due:
            try:
                with self.env.cr.savepoint():
                    one_sent, one_without = self._send(date, [row])
            except CONNECTION_LOST:
                raise
            except Exception as error:  # pylint: disable=broad-except
                _logger.warning("reminders: invoice %s not reminded: %s", row[0], error_text(error),
                                exc_info=True)
                self.env.clear()
                self.env["account.invoice"].browse(row[0])._webo_log_reminder_failure(date, error)
                continue
            sent += one_sent
            without_email += one_without
        return sent, without_email

    @api.model
    def _send(self, date, due):
        """Log and queue the reminders ``due`` ([(invoice id, level id, days
        late)]): one reminder row, one message in the invoice's history and
        one email in Odoo's mail queue each, written with a few set-based
        statements (thousands a day: the ORM's per-record creates cost tens
        of queries a mail). Returns (how many were sent, the ids of the
        invoices left out because their client has no email address)."""
        if not due:
            return 0, []
        # Only the fields used are read (for the whole batch each): an
        # invoice has dozens of others that a full prefetch would load.
        invoices = self.env["account.invoice"].sudo().with_context(prefetch_fields=False).browse(
            [row[0] for row in due])
        levels = self.env["webo.reminder.level"].sudo().browse({row[1] for row in due})
        invoices.read(["number", "partner_id", "commercial_partner_id", "company_id",
                       "currency_id", "residual", "date_due", "webo_viewed_date"])
        recipients = self._recipients(invoices)
        # Records taken from the batch's recordsets (not browsed one by
        # one), so that their fields are read for the whole batch at once.
        invoice_of = {invoice.id: invoice for invoice in invoices}
        level_of = {level.id: level for level in levels}
        rows = [(invoice_of[invoice_id], level_of[level_id], days) for invoice_id, level_id, days in due]
        without_email = [invoice.id for invoice, _level, _days in rows if not recipients[invoice.id]]
        rows = [row for row in rows if recipients[row[0].id]]
        logged = self._insert_reminders(date, rows, recipients)
        rows = [row for row in rows if row[0].id in logged]
        if rows:
            messages = self._insert_messages(rows, recipients)
            self.env.cr.execute(
                "UPDATE webo_invoice_reminder r SET message_id = v.message_id"
                "  FROM (VALUES %s) AS v(id, message_id) WHERE r.id = v.id"
                % ", ".join(["(%s, %s)"] * len(rows)),
                [value for invoice, _level, _days in rows
                 for value in (logged[invoice.id], messages[invoice.id])])
        self.invalidate_cache()
        self.env["account.invoice"].invalidate_cache(["webo_reminder_ids"])
        return len(rows), without_email

    @api.model
    def _recipients(self, invoices):
        """{invoice id: its billing contact, or an empty record when it has
        no email address or is archived (Odoo sends no mail to an archived
        partner)}, each client looked up once."""
        contacts = {}
        for partner in invoices.mapped("partner_id"):
            contact = partner._webo_billing_contact()
            contacts[partner.id] = contact if contact.email and contact.active else contact.browse()
        return {invoice.id: contacts[invoice.partner_id.id] for invoice in invoices}

    @api.model
    def _insert_reminders(self, date, rows, recipients):
        """The reminder rows; a level already logged for an invoice (another
        run got there first) is skipped. Returns {invoice id: reminder id}."""
        if not rows:
            return {}
        values = []
        for invoice, level, days in rows:
            values.append((invoice.id, level.id, invoice.company_id.id, date, days,
                           recipients[invoice.id].id, invoice.currency_id.id, invoice.residual,
                           self._penalty(invoice, days), self.env.uid))
        inserted = execute_values(self.env.cr, """
            INSERT INTO webo_invoice_reminder (invoice_id, level_id, company_id, date, days_late,
                partner_id, currency_id, amount_due, penalty, create_uid, write_uid,
                create_date, write_date)
            SELECT v.invoice_id, v.level_id, v.company_id, v.date::date, v.days_late, v.partner_id,
                   v.currency_id, v.amount_due, v.penalty, v.uid, v.uid,
                   now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
              FROM (VALUES %s) AS v(invoice_id, level_id, company_id, date, days_late, partner_id,
                                    currency_id, amount_due, penalty, uid)
            ON CONFLICT (invoice_id, level_id) DO NOTHING
            RETURNING invoice_id, id""", values, page_size=len(values), fetch=True)
        return dict(inserted)

    @api.model
    def _insert_messages(self, rows, recipients):
        """For each reminder: the email as a message of the invoice (its
        history), its notification of the recipient, and the mail.mail that
        Odoo's mail queue sends. Returns {invoice id: message id}."""
        subtype = self.env.ref("webo_sale.mt_invoice_reminder")
        now = fields.Datetime.now()
        senders = {}
        renderer = _Renderer(self.env)
        messages, mails = [], []
        self.env.cr.execute("SELECT nextval('mail_message_id_seq'), nextval('mail_mail_id_seq')"
                            "  FROM generate_series(1, %s)", [len(rows)])
        ids = self.env.cr.fetchall()
        message_ids = {}
        for (invoice, level, days), (message_id, mail_id) in zip(rows, ids, strict=True):
            company = invoice.company_id
            if company.id not in senders:
                senders[company.id] = self._sender(company)
            author, email_from = senders[company.id]
            contact = recipients[invoice.id]
            subject, body = renderer.render(invoice, level, days, contact)
            messages.append((message_id, subject, now, body, "account.invoice", invoice.id,
                             invoice.number, "comment", subtype.id, email_from, author.id,
                             tools.generate_tracking_message_id("%s-account.invoice" % invoice.id),
                             email_from, self.env.uid, now))
            mails.append((mail_id, message_id, body, contact.id))
            message_ids[invoice.id] = message_id
        execute_values(self.env.cr, """
            INSERT INTO mail_message (id, subject, date, body, model, res_id, record_name,
                message_type, subtype_id, email_from, author_id, message_id, reply_to,
                webo_delivery_state, create_uid, create_date, write_uid, write_date)
            SELECT v.id, v.subject, v.date::timestamp, v.body, v.model, v.res_id, v.record_name,
                   v.message_type, v.subtype_id, v.email_from, v.author_id, v.message_id,
                   v.reply_to, 'pending', v.uid, v.date::timestamp, v.uid, v.date::timestamp
              FROM (VALUES %s) AS v(id, subject, date, body, model, res_id, record_name,
                                    message_type, subtype_id, email_from, author_id,
                                    message_id, reply_to, uid, date2)""",
                       messages, page_size=len(messages))
        execute_values(self.env.cr, """
            INSERT INTO mail_message_res_partner_rel (mail_message_id, res_partner_id)
            SELECT v.message_id, v.partner_id FROM (VALUES %s) AS v(mail_id, message_id, body,
                                                                     partner_id)""",
                       mails, page_size=len(mails))
        execute_values(self.env.cr, """
            INSERT INTO mail_message_res_partner_needaction_rel (mail_message_id, res_partner_id,
                is_read, is_email, email_status)
            SELECT v.message_id, v.partner_id, TRUE, TRUE, 'ready'
              FROM (VALUES %s) AS v(mail_id, message_id, body, partner_id)""",
                       mails, page_size=len(mails))
        execute_values(self.env.cr, """
            INSERT INTO mail_mail (id, mail_message_id, body_html, notification, state,
                auto_delete, create_uid, create_date, write_uid, write_date)
            SELECT v.mail_id, v.message_id, v.body, TRUE, 'outgoing', TRUE,
                   %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
              FROM (VALUES %%s) AS v(mail_id, message_id, body, partner_id)"""
                       % (int(self.env.uid), int(self.env.uid)), mails, page_size=len(mails))
        execute_values(self.env.cr, """
            INSERT INTO mail_mail_res_partner_rel (mail_mail_id, res_partner_id)
            SELECT v.mail_id, v.partner_id FROM (VALUES %s) AS v(mail_id, message_id, body,
                                                                  partner_id)""",
                       mails, page_size=len(mails))
        self.env["mail.message"].invalidate_cache()
        self.env["mail.mail"].invalidate_cache()
        return message_ids

    @api.model
    def _sender(self, company):
        """(author partner, formatted From address) of a workspace's
        reminders: the workspace, from its own address, else its designer's."""
        email = company.email
        if not email:
            designer = self.env["res.users"].sudo().search(
                [("company_id", "=", company.id), ("email", "!=", False)], limit=1, order="id")
            email = designer.email or self.env.user.company_id.email or self.env.user.email
        return company.partner_id, tools.formataddr((company.name, email or ""))

    @api.model
    def _indemnity_sentence(self, amount):
        """The recovery indemnity sentence, in the context's language."""
        return _("A fixed indemnity of %(amount)s for recovery costs is also due "
                 "(art. L441-10 of the French Commercial Code).") % {"amount": amount}

    @api.model
    def _viewed_sentence(self, viewed_date):
        """The sentence of the {viewed} placeholder, in the context's language."""
        return _("You viewed this invoice on %(date)s.") % {"date": viewed_date}

    @api.model
    def _penalty(self, invoice, days):
        """Late-payment penalties due after ``days`` days: the amount due at
        the workspace's yearly rate, pro rata temporis."""
        rate = invoice.company_id.webo_late_penalty_rate
        return invoice.currency_id.round(invoice.residual * rate / 100.0 * days / 365.0)


class _Renderer:
    """Fills reminder texts in for a batch of invoices: each level read
    once per language, each language's formats looked up once."""

    def __init__(self, env):
        self.env = env
        self._texts = {}
        self._langs = {}
        self._euro = env.ref("base.EUR")

    def render(self, invoice, level, days, contact):
        """(subject, HTML body) of ``level`` for ``invoice``, in the
        recipient's language."""
        lang_code = contact.lang or invoice.partner_id.lang or "en_US"
        subject, body = self._text(level, lang_code)
        lang, lang_env = self._lang(lang_code)
        values = self._values(invoice, days, lang, lang_env, lang_code)
        subject = PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), subject)
        return subject, self._html(body, values)

    def _text(self, level, lang_code):
        key = (level.id, lang_code)
        if key not in self._texts:
            translated = level.with_context(lang=lang_code)
            self._texts[key] = (translated.subject or "", translated.body or "")
        return self._texts[key]

    def _lang(self, code):
        """(res.lang, an environment in that language) of ``code``."""
        if code not in self._langs:
            languages = self.env["res.lang"]
            # A client without a language (or an inactive one) reads the
            # database's first installed language.
            lang = languages._lang_get(code) or languages._lang_get(languages.get_installed()[0][0])
            self._langs[code] = (lang, self.env(context=dict(self.env.context, lang=lang.code)))
        return self._langs[code]

    def _values(self, invoice, days, lang, lang_env, lang_code):
        currency = invoice.currency_id
        penalty = self.env["webo.invoice.reminder"]._penalty(invoice, days)
        indemnity = ""
        if invoice._webo_is_business_client():
            indemnity = self._indemnity(lang_env, lang_code)
        due = fields.Date.from_string(invoice.date_due)
        viewed_date = viewed = ""
        if invoice.webo_viewed_date:
            viewed_date = fields.Datetime.context_timestamp(
                invoice, fields.Datetime.from_string(invoice.webo_viewed_date)).strftime(
                    lang.date_format or "%Y-%m-%d")
            viewed = self._viewed(viewed_date, lang_code)
        return {
            "client": invoice.commercial_partner_id.name or "",
            "invoice": invoice.number or "",
            "amount_due": format_money(lang_env, invoice.residual, currency),
            "due_date": due.strftime(lang.date_format or "%Y-%m-%d"),
            "days_late": str(days),
            "payment_link": invoice.webo_payment_url or "",
            "penalty": format_money(lang_env, penalty, currency),
            "penalty_rate": "%s %%" % lang.format(
                "%.2f", invoice.company_id.webo_late_penalty_rate, grouping=True, monetary=True),
            "indemnity": indemnity,
            "workspace": invoice.company_id.webo_legal_name or "",
            "viewed": viewed,
            "viewed_date": viewed_date,
        }

    def _viewed(self, viewed_date, lang_code):
        return self.env["webo.invoice.reminder"].with_context(lang=lang_code)._viewed_sentence(viewed_date)

    def _indemnity(self, lang_env, lang_code):
        key = ("indemnity", lang_code)
        if key not in self._texts:
            self._texts[key] = self.env["webo.invoice.reminder"].with_context(
                lang=lang_code)._indemnity_sentence(
                    format_money(lang_env, RECOVERY_INDEMNITY_EUR, self._euro))
        return self._texts[key]

    @staticmethod
    def _html(body, values):
        """The plain text as HTML: escaped, placeholders filled in, the
        payment link clickable, blank lines between paragraphs."""
        def fill(match):
            name = match.group(1)
            if name == "payment_link":
                link = html.escape(values[name])
                return '<a href="%s">%s</a>' % (link, link)
            return html.escape(values.get(name, match.group(0)))

        paragraphs = []
        for paragraph in re.split(r"\n\s*\n", body.strip()):
            text, position = [], 0
            for match in PLACEHOLDER.finditer(paragraph):
                text.append(html.escape(paragraph[position:match.start()]))
                text.append(fill(match))
                position = match.end()
            text.append(html.escape(paragraph[position:]))
            paragraphs.append("<p>%s</p>" % "".join(text).replace("\n", "<br/>"))
        return '<div style="font-family: Arial, sans-serif; font-size: 14px;">%s</div>' % (
            "".join(paragraphs))
