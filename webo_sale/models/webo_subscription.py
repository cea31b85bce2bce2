import datetime
import logging

import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import SUPERUSER_ID, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_compare

from ..tools.actions import wizard_action
from ..tools.batches import rate, run_in_batches
from .ir_actions_report import PdfRenderingError
from .webo_api import public_method, webo_date

_logger = logging.getLogger(__name__)

# Subscriptions invoiced per transaction by the monthly run: each batch is
# committed, so a run stopped half-way keeps what it did.
DEFAULT_BATCH_SIZE = 50
# Subscriptions per queue job when OCA queue_job shares the run out.
JOB_SIZE = 200
# What webo_create and webo_modify take.
CREATE_KEYS = {"name", "partner_id", "date_start", "billing_day", "payment_days", "line_ids"}
MODIFY_KEYS = {"name", "billing_day", "payment_days", "line_ids"}
# Thousands of invoices a month: no "created" / "validated" log messages
# (and their notifications) for each; the email sent is logged in its
# chatter, as it is for the wizard's invoices.
QUIET = {"mail_create_nolog": True, "mail_notrack": True}


def queue_job_method(func):
    """Allow ``func`` to be delayed by OCA queue_job (``with_delay()``).

    These are the attributes queue_job's ``@job`` decorator sets; setting
    them here keeps webo_sale free of any import of queue_job, which a
    database may not have installed. Channel root.webo_subscription: the
    jobrunner's configuration can give it its own capacity."""
    func.delayable = True
    func.retry_pattern = None
    func.default_channel = "root.webo_subscription"
    return func


# The database connection is gone (PostgreSQL restarted, the network cut):
# nothing more can be done in this transaction, the run stops and the
# next one resumes after the last committed batch.
CONNECTION_LOST = (psycopg2.OperationalError, psycopg2.InterfaceError)


def error_text(error):
    """The message of any exception, as a designer reads it."""
    return getattr(error, "name", None) or str(error) or type(error).__name__


def is_renderer_failure(error):
    """Whether ``error`` (or what it reports) is the PDF renderer's failure."""
    return isinstance(error, PdfRenderingError) or isinstance(error.__cause__, PdfRenderingError)


def period_date(date_start, billing_day, period):
    """The billing date of ``period`` (1 is the month of ``date_start``):
    the billing day of that month, or its last day when the month is
    shorter (a subscription billed on the 31st bills on 28 February)."""
    return date_start + relativedelta(months=period - 1, day=billing_day)


class WeboSubscription(models.Model):
    _name = "webo.subscription"
    _description = "Subscription"
    _inherit = ["mail.thread", "webo.api.checked"]
    _order = "date_start desc, id desc"

    name = fields.Char(string="Label", required=True, track_visibility="onchange",
                       help="What the client pays for each month; the label of its invoices.")
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, readonly=True, index=True,
        help="The client invoiced each month.")
    company_id = fields.Many2one(
        "res.company", string="Workspace", required=True, readonly=True, index=True,
        default=lambda self: self.env.user.company_id,
        help="The designer workspace that issues the invoices.")
    user_id = fields.Many2one(
        "res.users", string="Designer", required=True, readonly=True,
        default=lambda self: self.env.user,
        help="The invoices of each period are issued and sent in this user's name.")
    currency_id = fields.Many2one(related="company_id.currency_id", readonly=True,
                                  help="The workspace's currency.")
    line_ids = fields.One2many("webo.subscription.line", "subscription_id", string="Lines",
                               help="What each monthly invoice bills.")
    amount_untaxed = fields.Monetary(
        string="Total excl. VAT", compute="_compute_amounts", store=True,
        help="Monthly amount before VAT.")
    amount_total = fields.Monetary(
        string="Monthly Amount", compute="_compute_amounts", store=True,
        help="Monthly amount, VAT included.")
    date_start = fields.Date(
        string="Start Date", required=True, readonly=True,
        help="The date of the first period's invoice.")
    billing_day = fields.Integer(
        required=True, track_visibility="onchange",
        help="Day of the month each invoice is issued (1-31); in shorter months, "
             "the last day of the month.")
    payment_days = fields.Integer(
        string="Payment Delay (days)", default=30, required=True,
        help="Days between an invoice's date and its due date.")
    next_period = fields.Integer(
        default=1, required=True, readonly=True,
        help="Number of the next period to invoice (1 is the start date's month).")
    next_invoice_date = fields.Date(
        string="Next Invoice", compute="_compute_next_invoice_date", store=True, index=True,
        help="When the next period's invoice is issued and sent.")
    state = fields.Selection(
        [("running", "Running"), ("stopped", "Stopped")], string="Status",
        default="running", required=True, readonly=True, track_visibility="onchange",
        help="A stopped subscription issues no further invoice.")
    date_stop = fields.Date(string="Stopped On", readonly=True, copy=False,
                            help="When the subscription was stopped.")
    invoice_ids = fields.One2many(
        "account.invoice", "webo_subscription_id", string="Invoices", readonly=True,
        help="The invoices issued for this subscription, one per period.")
    invoice_count = fields.Integer(string="Invoices Issued", compute="_compute_invoice_count",
                                   help="How many periods have been invoiced.")
    predecessor_id = fields.Many2one(
        "webo.subscription", string="Resumes", readonly=True, copy=False, index=True,
        help="The stopped subscription this one resumed.")
    successor_ids = fields.One2many(
        "webo.subscription", "predecessor_id", string="Resumed By", readonly=True,
        help="The subscription that resumed this one after it was stopped.")

    webo_mandate_ids = fields.One2many(
        "webo.stripe.mandate", "subscription_id", string="Automatic Payment Authorisations", readonly=True,
        groups="webo_sale.group_platform_operator")
    webo_autopay = fields.Boolean(
        string="Automatic Payment", compute="_compute_webo_autopay", store=True,
        help="The client chose, on an invoice's page, to have the next invoices charged to a card or "
             "by SEPA direct debit when they are issued.")
    webo_autopay_method = fields.Char(
        string="Charged To", compute="_compute_webo_autopay",
        help="The card or bank account the next invoices are charged to.")

    @api.depends("line_ids.price_subtotal", "line_ids.price_total")
    def _compute_amounts(self):
        for subscription in self:
            subscription.amount_untaxed = sum(subscription.line_ids.mapped("price_subtotal"))
            subscription.amount_total = sum(subscription.line_ids.mapped("price_total"))

    @api.depends("date_start", "billing_day", "next_period")
    def _compute_next_invoice_date(self):
        for subscription in self:
            if subscription.date_start and 1 <= subscription.billing_day <= 31:
                subscription.next_invoice_date = fields.Date.to_string(
                    subscription._period_date(subscription.next_period))
            else:
                subscription.next_invoice_date = False

    @api.depends("webo_mandate_ids.state")
    def _compute_webo_autopay(self):
        # The authorisations are the platform's records: the designer sees
        # what they say, not the records themselves.
        active = self.env["webo.stripe.mandate"].sudo().search(
            [("subscription_id", "in", self.ids), ("state", "=", "active")])
        for subscription in self:
            mandate = active.filtered(lambda m, s=subscription: m.subscription_id == s)[:1]
            subscription.webo_autopay = bool(mandate)
            subscription.webo_autopay_method = mandate._webo_method_text() if mandate else False

    def _compute_invoice_count(self):
        groups = self.env["account.invoice"].read_group(
            [("webo_subscription_id", "in", self.ids)], ["webo_subscription_id"],
            ["webo_subscription_id"])
        counts = {group["webo_subscription_id"][0]: group["webo_subscription_id_count"]
                  for group in groups}
        for subscription in self:
            subscription.invoice_count = counts.get(subscription.id, 0)

    @api.constrains("billing_day", "payment_days")
    def _check_billing_day(self):
        for subscription in self:
            if subscription.payment_days < 0:
                raise ValidationError(_("The payment delay cannot be negative."))
            if not 1 <= subscription.billing_day <= 31:
                raise ValidationError(_(
                    "The billing day must be between 1 and 31 (%(day)s given): choose a day "
                    "of the month; in shorter months the last day is used."
                ) % {"day": subscription.billing_day})

    @api.constrains("date_start")
    def _check_date_start(self):
        """A subscription starts within a year of today: its first invoice
        is issued on its start date, or, when it is past, at once with one
        invoice for each period since (dated today, each stating its
        period)."""
        today = fields.Date.from_string(fields.Date.context_today(self))
        earliest, latest = today - relativedelta(years=1), today + relativedelta(years=1)
        for subscription in self:
            start = fields.Date.from_string(subscription.date_start)
            if not earliest <= start <= latest:
                self.env["webo.api"]._refuse_date(_("The start date"), start, earliest, latest, reason=_(
                    "A subscription starts at most a year before or after today."))

    @api.constrains("line_ids")
    def _check_amount(self):
        for subscription in self:
            if not subscription.line_ids:
                raise ValidationError(_("A subscription needs at least one line."))
            if any(float_compare(line.quantity, 0.0, precision_digits=6) <= 0
                   for line in subscription.line_ids):
                raise ValidationError(_("Each line needs a quantity above zero."))
            if float_compare(subscription.amount_total, 0.0,
                             precision_rounding=subscription.currency_id.rounding) <= 0:
                raise ValidationError(_(
                    "The monthly total of the subscription %(name)s must be above zero: check "
                    "the quantities and unit prices of its lines."
                ) % {"name": subscription.name})

    @api.constrains("partner_id", "company_id")
    def _check_partner_company(self):
        for subscription in self:
            client_company = subscription.partner_id.sudo().commercial_partner_id.company_id
            if client_company and client_company != subscription.company_id:
                raise ValidationError(_(
                    "%(client)s is not a client of this workspace: a subscription bills "
                    "the workspace's own clients."
                ) % {"client": subscription.partner_id._webo_label()})

    @api.model
    def create(self, values):
        # Billed on the start date's day of the month unless told otherwise.
        if values.get("date_start") and "billing_day" not in values:
            self.env["webo.api"]._check_date(values["date_start"], _("The start date"))
            values = dict(values, billing_day=fields.Date.from_string(values["date_start"]).day)
        subscription = super().create(values)
        subscription._check_user_company()
        # Its invoices are sent on their own: only by an open sales service.
        subscription.company_id._webo_check_service_open()
        return subscription

    @api.multi
    def write(self, values):
        if "webo_autopay" in values and self.env.uid != SUPERUSER_ID:
            raise UserError(_("Automatic payment is chosen by the client on an invoice's page; it "
                              "can only be revoked (\"Revoke the automatic payment\")."))
        result = super().write(values)
        if {"user_id", "company_id"} & set(values):
            self._check_user_company()
        if "company_id" in values:
            self.mapped("line_ids")._check_tax_company()
        return result

    def _check_user_company(self):
        """The monthly run issues the invoices in this user's name, under
        their record rules: a user of another workspace would make it fail.
        Checked on every create and write (a UserError rather than an
        @api.constrains, whose ValidationError reaches XML-RPC callers with
        the server's traceback)."""
        for subscription in self:
            if subscription.company_id not in subscription.user_id.sudo().company_ids:
                # (the other user's name is not given back: it is not the caller's to read)
                raise UserError(_(
                    "The designer of a subscription must be a user of its workspace "
                    "%(company)s: its invoices are issued in the name of one of the "
                    "workspace's own designers."
                ) % {"company": subscription.company_id.sudo().name})

    # Actions of the list (Action menu) and of the form.

    @api.multi
    def action_webo_modify(self):
        """"Modifier": the wizard changing lines, amounts or billing day from
        the next period on."""
        self._check_one_selected()
        self._check_running(_("modified"))
        return wizard_action("webo.subscription.modify", _("Modify the subscription"),
                             {"default_subscription_id": self.id})

    @api.multi
    def action_webo_duplicate(self):
        """"Dupliquer": a new running subscription (a stopped one is resumed)."""
        self._check_one_selected()
        self._check_can_be_resumed()
        return wizard_action("webo.subscription.duplicate", _("Duplicate the subscription"),
                             {"default_subscription_id": self.id})

    @api.multi
    def action_webo_stop(self):
        """"Arrêter": asks for a confirmation first (see webo.subscription.stop)."""
        if not self:
            raise UserError(_("Select the subscriptions to stop."))
        for subscription in self:
            subscription._check_running(_("stopped"))
        return wizard_action("webo.subscription.stop", _("Stop the subscription"),
                             {"default_subscription_ids": [(6, 0, self.ids)]})

    @api.multi
    def action_webo_open_invoices(self):
        self.ensure_one()
        action = self.env.ref("webo_sale.account_invoice_action").read()[0]
        action["domain"] = [("webo_subscription_id", "=", self.id)]
        return action

    # Public methods (also the XML-RPC API).

    @api.model
    @public_method
    def webo_create(self, values):
        """Create a running subscription whose first period is invoiced at its
        start date by the monthly run. ``values``: name, partner_id,
        date_start, billing_day (default: the start date's day),
        payment_days, line_ids. Returns its id."""
        self.env["webo.api"]._check_dict(values, _("The subscription"), allowed=CREATE_KEYS,
                                         required=("name", "partner_id", "date_start", "line_ids"))
        return self.create(values).id

    @api.multi
    @public_method
    def webo_modify(self, values):
        """Change a running subscription from its next period on: ``values``
        may hold name, billing_day, payment_days and line_ids (the new
        lines: [(0, 0, {...})], they replace the old ones). The change is
        logged on the subscription. Returns True."""
        self.env["webo.api"]._check_dict(values, _("The changes"))
        unknown = set(values) - MODIFY_KEYS
        if unknown:
            raise UserError(_("Only %(allowed)s can be modified (not %(fields)s).")
                            % {"allowed": ", ".join(sorted(MODIFY_KEYS)),
                               "fields": ", ".join(sorted(unknown))})
        self.env["webo.api"]._check_values(self._name, values)
        for subscription in self:
            subscription._check_running(_("modified"))
            subscription.check_access_rule("write")
            before = subscription._summary()
            new_values = dict(values)
            if "line_ids" in new_values:
                # Designers only add lines: the old ones go through here,
                # where the change is logged.
                subscription.line_ids.sudo().unlink()
                new_values["line_ids"] = [
                    command for command in new_values["line_ids"] if command[0] == 0]
            subscription.write(new_values)
            after = subscription._summary()
            if before != after:
                subscription.message_post(body=_(
                    "Modified from period %(period)s (%(date)s) on.<br/>Before: %(before)s"
                    "<br/>After: %(after)s"
                ) % {"period": subscription.next_period,
                     "date": webo_date(self.env, subscription.next_invoice_date),
                     "before": before, "after": after})
        return True

    @api.multi
    @public_method
    def webo_duplicate(self, date_start=None, name=None):
        """A new running subscription with the same client and lines, whose
        first invoice is dated ``date_start`` (default: today), labelled
        ``name`` (default: the label and its start, to tell them apart). On
        a stopped subscription it is its successor: the subscription
        resumes. Returns the new subscription's id."""
        checks = self.env["webo.api"]
        checks._check_one(self)
        self._check_can_be_resumed()
        start = checks._check_date(date_start, _("The start date"), required=False) \
            or fields.Date.context_today(self)
        checks._check_text(name, _("The label"), required=False)
        if self.state == "stopped" and start < fields.Date.context_today(self):
            raise UserError(_(
                "A stopped subscription resumes today or later (%(date)s given): its "
                "missed months are not invoiced after the fact."
            ) % {"date": webo_date(self.env, start)})
        new = self.create({
            "name": (name or "").strip() or self._duplicate_name(start),
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "date_start": start,
            "billing_day": fields.Date.from_string(start).day,
            "payment_days": self.payment_days,
            "line_ids": [(0, 0, line._copy_values()) for line in self.line_ids],
            "predecessor_id": self.id if self.state == "stopped" else False,
        })
        if self.state == "stopped":
            self.message_post(body=_("Resumed by a new subscription starting on %(date)s.")
                              % {"date": webo_date(self.env, start)})
            new.message_post(body=_("Resumes the subscription stopped on %(date)s.")
                             % {"date": webo_date(self.env, self.date_stop)})
        else:
            new.message_post(body=_("Duplicated from the subscription %(name)s (started on %(date)s).")
                             % {"name": self.name, "date": webo_date(self.env, self.date_start)})
        return new.id

    @api.multi
    @public_method
    def webo_stop(self):
        """Stop running subscriptions: no further invoice; the issued ones
        are untouched. Returns True."""
        for subscription in self:
            subscription._check_running(_("stopped"))
        today = fields.Date.context_today(self)
        self.write({"state": "stopped", "date_stop": today})
        for subscription in self:
            subscription.message_post(body=_("Stopped on %(date)s: no further invoice.")
                                      % {"date": webo_date(self.env, today)})
        return True

    @api.multi
    @public_method
    def webo_autopay_revoke(self):
        """Stop charging the next invoices of these subscriptions
        automatically (the client's card or bank account is detached at
        Stripe); they are then paid from their page. Designers of the
        workspace only. Returns True."""
        self.check_access_rights("write")
        self.check_access_rule("write")
        for subscription in self:
            if not subscription.webo_autopay:
                raise UserError(_("The subscription %(name)s is not paid automatically: nothing to "
                                  "revoke.") % {"name": subscription.name})
        self.sudo().mapped("webo_mandate_ids")._webo_revoke()
        return True

    @api.model
    @public_method
    def webo_run(self, date=None, batch_size=DEFAULT_BATCH_SIZE, queue=False, job_size=JOB_SIZE):
        """Issue, validate and send the invoice of every period due on
        ``date`` (default: today) across the workspaces, committing each
        batch. Platform operators only. Returns the number of invoices; with
        ``queue`` (OCA queue_job installed), enqueues the run's jobs instead
        and returns their uuids (``job_size`` subscriptions a job)."""
        if not self.env.user.has_group("webo_sale.group_platform_operator"):
            raise UserError(_("Only the platform operator runs the monthly invoicing."))
        checks = self.env["webo.api"]
        today = fields.Date.context_today(self)
        date = checks._check_date(date, _("The date of the run"), latest=today, required=False) or today
        checks._check_number(batch_size, _("The batch size"), minimum=1, integer=True)
        checks._check_number(job_size, _("The job size"), minimum=1, integer=True)
        checks._check_boolean(queue, "queue")
        if queue:
            if not self._webo_queue_job_installed():
                raise UserError(_("The job queue (OCA queue_job) is not installed in this database."))
            return self.sudo()._webo_enqueue_due(date, job_size=job_size, batch_size=batch_size)
        return self.sudo()._webo_run_due(date, batch_size)

    # The monthly run.

    @api.model
    def _cron_invoice_due(self):
        """The daily scheduled job: the run itself, or, when OCA queue_job
        is installed in the database, its jobs, which every Odoo server of
        the platform may execute."""
        today = fields.Date.context_today(self)
        if self._webo_queue_job_installed():
            return len(self._webo_enqueue_due(today))
        return self._webo_run_due(today)

    @api.model
    def _webo_queue_job_installed(self):
        return "queue.job" in self.env.registry and hasattr(self, "with_delay")

    @api.model
    def _webo_enqueue_due(self, date, job_size=JOB_SIZE, batch_size=DEFAULT_BATCH_SIZE):
        """One queue job per ``job_size`` subscriptions due on ``date``.
        Returns the jobs' uuids. Each job claims its rows itself (SKIP
        LOCKED) and commits per batch, so a job run twice, or jobs running
        side by side on several servers, invoice each period once."""
        due = self.search([("state", "=", "running"), ("next_invoice_date", "<=", date)],
                          order="next_invoice_date, id")
        uuids = []
        for start in range(0, len(due), job_size):
            chunk = due[start:start + job_size]
            job = self.with_delay(description=_("Subscriptions due on %(date)s (%(count)s)") % {
                "date": date, "count": len(chunk)})._webo_job_run_due(date, chunk.ids, batch_size)
            uuids.append(job.uuid)
        _logger.info("subscriptions due on %s: %d queue jobs for %d subscriptions",
                     date, len(uuids), len(due))
        return uuids

    @api.model
    @queue_job_method
    def _webo_job_run_due(self, date, subscription_ids, batch_size=DEFAULT_BATCH_SIZE):
        """A queue job: the run, for these subscriptions only."""
        return self._webo_run_due(date, batch_size, subscription_ids)

    @api.model
    def _webo_run_due(self, date, batch_size=DEFAULT_BATCH_SIZE, subscription_ids=None):
        """Invoice every due period up to ``date``, batch after batch, each
        batch committed. A subscription several periods behind (downtime)
        gets one invoice per missed period, each dated to its period.
        Killed half-way, a run loses at most its current batch, which the
        next run redoes; the unique (subscription, period) constraint on
        invoices makes a period invoiced twice impossible whatever happens.
        A subscription that fails, whatever the reason, is logged and left
        for the next run; when a whole batch fails because the PDF
        renderer does, the run stops there (each of them would wait for it
        in turn) and the next run resumes.

        The context key ``webo_subscription_no_commit`` keeps everything in
        the caller's transaction (Odoo's test runner)."""
        commit = not self.env.context.get("webo_subscription_no_commit")
        if commit:
            self.env["ir.actions.report"]._webo_prepare_report_assets()
        total = self._count_due_periods(date, subscription_ids)
        failed = set()
        _logger.info("subscriptions due on %s: %d periods to invoice", date, total)

        def invoice(batch):
            try:
                invoiced, batch_failed = batch._invoice_next_period()
            finally:
                self.env["ir.rule"]._webo_clear_rule_cache()
            failed.update(batch_failed)
            stop = len(batch_failed) == len(batch) > 1 and all(map(is_renderer_failure,
                                                                   batch_failed.values()))
            if stop:
                _logger.warning("subscriptions: the PDF renderer fails for a whole batch; the run "
                                "stops, the next one resumes")
            return len(invoiced), stop

        def progress(done, seconds):
            _logger.info("subscriptions: %d/%d periods invoiced (%.1f invoices/s)",
                         done, total, rate(done, seconds))

        done = run_in_batches(
            self.env, lambda: self._claim_due_batch(date, batch_size, subscription_ids, failed),
            invoice, commit=commit, progress=progress)
        if failed:
            _logger.warning("subscriptions: %d could not be invoiced on %s (ids %s): see their log",
                            len(failed), date, sorted(failed))
        # The invoices just sent (and any a stopped run left) of the
        # subscriptions paid automatically.
        self.env["webo.stripe.mandate"]._webo_charge_due(commit=commit)
        return done

    @api.model
    def _count_due_periods(self, date, subscription_ids=None):
        """How many invoices a run up to ``date`` issues (for its progress log)."""
        domain = [("state", "=", "running"), ("next_invoice_date", "<=", date)]
        if subscription_ids is not None:
            domain.append(("id", "in", list(subscription_ids)))
        day = fields.Date.from_string(date)
        total = 0
        for subscription in self.search(domain):
            total += subscription._due_periods_until(day)
        return total

    def _due_periods_until(self, day):
        period = self.next_period
        count = 0
        while self._period_date(period) <= day:
            count += 1
            period += 1
        return count

    @api.model
    def _claim_due_batch(self, date, batch_size, subscription_ids=None, exclude=()):
        """Lock up to ``batch_size`` subscriptions with a period due on
        ``date``. Rows another run holds are skipped: several servers (or
        queue jobs) share the work without waiting for each other."""
        query = ["SELECT id FROM webo_subscription WHERE state = 'running'"
                 " AND next_invoice_date <= %s"]
        params = [date]
        if subscription_ids is not None:
            query.append("AND id = ANY(%s)")
            params.append(list(subscription_ids))
        if exclude:
            query.append("AND id <> ALL(%s)")
            params.append(list(exclude))
        query.append("ORDER BY next_invoice_date, id LIMIT %s FOR UPDATE SKIP LOCKED")
        params.append(batch_size)
        self.env.cr.execute(" ".join(query), params)
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _invoice_next_period(self):
        """Issue, validate and send the invoice of each subscription's next
        period, and move it to the period after. One subscription that
        fails (a client without an email address) is rolled back alone and
        logged on the subscription; the others go on.
        Returns (the invoices, {failed subscription id: its error})."""
        invoices = self.env["account.invoice"]
        failed = {}
        # Each workspace's invoices in its designer's name, as the wizard does.
        for user in self.mapped("user_id"):
            subscriptions = self.filtered(lambda s, u=user: s.user_id == u)
            # No commit may happen inside the savepoints below (see
            # ir.actions.report.render_qweb_html).
            # The record rules' SQL is computed once for the whole batch
            # (ir.rule.domain_get).
            as_user = subscriptions.sudo(user if user.active else self.env.uid).with_context(
                webo_no_commit=True, webo_rule_cache=True)
            try:
                with self.env.cr.savepoint():
                    issued, user_failed = as_user._issue_together()
            except CONNECTION_LOST:
                raise
            except Exception as error:  # pylint: disable=broad-except
                # Validating, printing or emailing one of them failed when
                # the others had their numbers: it cannot be rolled back
                # alone without a gap in the numbers. Redo them one at a
                # time, where each one fails alone.
                _logger.warning("subscriptions: issued one by one after %s", error_text(error))
                # The cache still holds what the savepoint rolled back.
                self.env.clear()
                issued, user_failed = as_user._issue_one_by_one()
            invoices |= issued
            failed.update(user_failed)
        return invoices, failed

    def _issue_together(self):
        """Each subscription's draft invoice made (a failing one rolled back
        alone), then all of them validated at once, their PDFs printed at
        once and their emails made from one rendering of the template."""
        # Each client's billing contact is looked up once for the batch.
        contacts = {}
        for partner in self.mapped("partner_id"):
            contacts[partner.id] = partner._webo_billing_contact()
        invoices, failed = self._issue_each(lambda subscription: subscription._draft_period(
            subscription.next_period, contacts[subscription.partner_id.id]))
        # Validated quietly, as one by one (QUIET): the draft invoices come
        # back without the context they were created with.
        invoices.with_context(**QUIET).action_invoice_open()
        invoices._webo_store_pdfs()
        emails = invoices._webo_render_emails()
        # The designer already follows each invoice (from its creation): no
        # need for message_post to subscribe them again, one write each.
        for invoice in invoices.with_context(mail_create_nosubscribe=True):
            invoice._webo_post_email(mark_pending=False, partners=contacts[invoice.partner_id.id],
                                     **emails[invoice.id])
        # One write for the batch rather than one an invoice.
        invoices.with_context(**QUIET).write({"webo_email_state": "pending"})
        return invoices, failed

    def _issue_one_by_one(self):
        """Each subscription's invoice issued, validated, printed and sent
        on its own."""
        return self._issue_each(lambda subscription: subscription._issue_period(
            subscription.next_period))

    def _issue_each(self, issue):
        """``issue(subscription)`` for each subscription, in its own
        savepoint: one that fails, whatever the error (a client without an
        email address, a PDF that cannot be printed, a designer of another
        workspace...), is rolled back alone (with its invoice's number,
        which the next one takes) and logged on the subscription, for the
        designers of its workspace; it waits for the next run.
        Returns (the invoices, {failed subscription id: its error})."""
        invoices = self.env["account.invoice"]
        failed = {}
        for subscription in self:
            try:
                with self.env.cr.savepoint():
                    invoices |= issue(subscription)
            except CONNECTION_LOST:
                raise
            except Exception as error:  # pylint: disable=broad-except
                failed[subscription.id] = error
                unforeseen = not isinstance(error, (UserError, ValidationError))
                _logger.warning("subscriptions: subscription %s not invoiced: %s", subscription.id,
                                error_text(error), exc_info=unforeseen)
                subscription.sudo()._log_failure(error)
        return invoices, failed

    def _log_failure(self, error):
        """Tell the workspace's designers, on the subscription and in their
        inbox, in their language, why its period was not invoiced."""
        designers = self.company_id._webo_designers()
        for local, partners in designers._webo_by_language(self):
            local.message_post(body=local._failure_text(error), message_type="notification",
                               subtype="mail.mt_note", partner_ids=partners.ids)

    def _failure_text(self, error):
        """Why the next period was not invoiced, in the context's language."""
        return _("The invoice of period %(period)s (%(date)s) could not be issued: %(error)s "
                 "The next run tries again.") % {
            "period": self.next_period, "date": webo_date(self.env, self.next_invoice_date),
            "error": error_text(error)}

    def _issue_period(self, period):
        """The invoice of ``period``, validated and sent; the subscription
        moves on to the next period."""
        invoice = self._draft_invoice(period)
        invoice.action_invoice_open()
        invoice._webo_post_email()
        self._move_past(period)
        return invoice

    def _draft_period(self, period, recipients=None):
        """The draft invoice of ``period``; the subscription moves on to
        the next period."""
        invoice = self._draft_invoice(period, recipients)
        self._move_past(period)
        return invoice

    def _draft_invoice(self, period, recipients=None):
        """The draft invoice of ``period``, for a client its email can
        reach (``recipients``: its billing contact, when already known)."""
        self.ensure_one()
        invoice = self.env["account.invoice"].with_context(**QUIET).create(self._invoice_values(period))
        invoice._webo_check_email_recipients(recipients)
        return invoice

    def _move_past(self, period):
        # Last, so that a failure before it leaves no stale period in the
        # cache when its savepoint is rolled back.
        self.with_context(**QUIET).next_period = period + 1

    def _invoice_values(self, period):
        """The invoice of ``period``, dated the day it is issued (invoices
        are numbered in the order of their dates: a period invoiced late,
        after downtime, is not dated back) and stating the period it bills."""
        date_invoice = fields.Date.from_string(fields.Date.context_today(self))
        journal = self._sale_journal()
        account = journal.default_credit_account_id
        if not account:
            raise UserError(_("The sales journal %(journal)s has no income account.")
                            % {"journal": journal.name})
        partner = self.partner_id.with_context(force_company=self.company_id.id)
        return {
            "type": "out_invoice",
            "name": self.name,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "journal_id": journal.id,
            "account_id": partner.property_account_receivable_id.id,
            "date_invoice": fields.Date.to_string(date_invoice),
            "date_due": fields.Date.to_string(
                date_invoice + datetime.timedelta(days=self.payment_days)),
            "webo_recurrence": "monthly",
            "webo_subscription_id": self.id,
            **self._period_values(period),
            "invoice_line_ids": [(0, 0, line._invoice_line_values(account)) for line in self.line_ids],
            # The client follows its invoice from the start: validating it
            # then has nobody to subscribe (one write of the invoice less).
            "message_follower_ids": self.env["mail.followers"]._add_follower_command(
                "account.invoice", [], {self.partner_id.id: None}, {})[0],
        }

    def _sale_journal(self):
        journal = self.env["account.journal"].search(
            [("company_id", "=", self.company_id.id), ("type", "=", "sale")], limit=1)
        if not journal:
            raise UserError(_("The workspace %(workspace)s has no sales journal: its accounting "
                              "is not set up.") % {"workspace": self.company_id.name})
        return journal

    # Helpers.

    def _period_date(self, period):
        return period_date(fields.Date.from_string(self.date_start), self.billing_day, period)

    def _period_values(self, period):
        """What an invoice of ``period`` says of it: its number and its
        first and last days (the day before the next period's)."""
        end = self._period_date(period + 1) - datetime.timedelta(days=1)
        return {"webo_subscription_period": period,
                "webo_period_start": fields.Date.to_string(self._period_date(period)),
                "webo_period_end": fields.Date.to_string(end)}

    def _summary(self):
        """The subscription's terms, as its change log shows them."""
        lines = ", ".join("%s: %s x %s" % (line.name, line.quantity, line.price_unit)
                          for line in self.line_ids)
        return _("%(name)s; billed on day %(day)s; %(lines)s; %(total)s %(currency)s a month") % {
            "name": self.name, "day": self.billing_day, "lines": lines,
            "total": self.amount_total, "currency": self.currency_id.symbol or ""}

    def _duplicate_name(self, start):
        """The label of a duplicate: the original's and when it starts (a
        resumption says so), so that the two can be told apart."""
        values = {"name": self.name, "date": webo_date(self.env, start)}
        if self.state == "stopped":
            return _("%(name)s (resumed on %(date)s)") % values
        return _("%(name)s (from %(date)s)") % values

    def _check_one_selected(self):
        if len(self) != 1:
            raise UserError(_("Select exactly one subscription (%(count)s selected).")
                            % {"count": len(self)})

    def _check_running(self, operation):
        for subscription in self:
            if subscription.state != "running":
                raise UserError(_(
                    "The subscription %(name)s is stopped and cannot be %(operation)s: "
                    "duplicate it to resume it."
                ) % {"name": subscription.name, "operation": operation})

    def _check_can_be_resumed(self):
        if self.state == "stopped" and self.successor_ids:
            raise UserError(_(
                "The subscription %(name)s has already been resumed (by the subscription "
                "starting on %(date)s): modify or duplicate that one instead."
            ) % {"name": self.name, "date": webo_date(self.env, self.successor_ids[0].date_start)})
