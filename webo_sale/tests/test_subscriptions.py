import base64
import calendar
import io
import logging
import re
from datetime import date, timedelta

import psycopg2
from lxml import etree
from pypdf import PdfReader

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tools import mute_logger

from ..models.webo_subscription import period_date
from .test_facturx import real_pdfs, value, xml_of
from .test_invoice_wizard import InvoiceWizardCase
from .test_report import pdf_lines

RUN_LOGGER = "odoo.addons.webo_sale.models.webo_subscription"


def month_day(months_back, day):
    """The ``day`` of the month ``months_back`` months before this one (its
    last day when shorter), as Odoo writes dates: subscriptions start
    within a year of today, so the tests' dates follow the calendar."""
    today = date.today()
    year, month = divmod(today.year * 12 + today.month - 1 - months_back, 12)
    month += 1
    return fields.Date.to_string(date(year, month, min(day, calendar.monthrange(year, month)[1])))


def a_31st_before_a_shorter_month():
    """The most recent 31st, two months back or more, whose next month has
    fewer days (a subscription billed on the 31st bills then on its last day)."""
    for months_back in range(2, 12):
        start = fields.Date.from_string(month_day(months_back, 31))
        if start.day == 31 and (start + timedelta(days=31)).day != 31:
            return fields.Date.to_string(start)
    raise AssertionError("every ten months have one")


def iso(day):
    return fields.Date.to_string(day)


class SubscriptionCase(InvoiceWizardCase):
    """Subscriptions of workspace A; the monthly run in the test's
    transaction (``webo_subscription_no_commit``)."""

    @classmethod
    def _subscription(cls, user=None, date_start=None, lines=((1.0, 50.0),), lang=None,
                      **values):
        values = dict({
            "name": "Hébergement du site",
            "partner_id": cls.client_a.id,
            "date_start": date_start or month_day(2, 5),
            "line_ids": [(0, 0, {"name": "Ligne %d" % index, "quantity": quantity, "price_unit": price})
                         for index, (quantity, price) in enumerate(lines, 1)],
        }, **values)
        model = cls.env["webo.subscription"].sudo(user or cls.designer_a).with_context(lang=lang)
        return model.browse(model.webo_create(values))

    def _run(self, day, batch_size=50):
        return self.env["webo.subscription"].with_context(
            webo_subscription_no_commit=True)._webo_run_due(day, batch_size)


class TestSubscriptionFromWizard(SubscriptionCase):

    def test_monthly_invoice_starts_a_subscription_whose_period_1_it_is(self):
        start = month_day(2, 15)
        due = iso(fields.Date.from_string(start) + timedelta(days=30))
        wizard = self._wizard(recurrence="monthly", date_invoice=start, date_due=due)
        wizard.action_send()
        invoice = wizard.invoice_id
        subscription = invoice.webo_subscription_id
        self.assertTrue(subscription)
        self.assertEqual(invoice.webo_subscription_period, 1)
        self.assertEqual(invoice.webo_recurrence, "monthly")
        self.assertEqual(subscription.state, "running")
        self.assertEqual(subscription.partner_id, self.client_a)
        self.assertEqual(subscription.company_id, self.workspace_a)
        self.assertEqual(subscription.user_id, self.designer_a)
        self.assertEqual(subscription.billing_day, 15)
        self.assertEqual(subscription.payment_days, 30)
        self.assertEqual(subscription.next_period, 2)
        self.assertEqual(subscription.next_invoice_date, month_day(1, 15))
        self.assertEqual((invoice.webo_period_start, invoice.webo_period_end),
                         (start, iso(fields.Date.from_string(month_day(1, 15)) - timedelta(days=1))),
                         "the invoice states the month it bills")
        self.assertEqual(subscription.line_ids.mapped("name"), ["Ligne 1"])
        self.assertAlmostEqual(subscription.amount_total, 600.0, places=2)
        self.assertEqual(subscription.invoice_ids, invoice)
        self.assertEqual(self.client_a.webo_subscription_ids, subscription)

    def test_invoice_without_recurrence_starts_none(self):
        wizard = self._wizard()
        wizard.action_send()
        self.assertFalse(wizard.invoice_id.webo_subscription_id)
        self.assertFalse(self.env["webo.subscription"].search([("partner_id", "=", self.client_a.id)]))


class TestMonthlyRun(SubscriptionCase):

    def test_period_dates_at_month_ends(self):
        start = date(2026, 1, 31)
        self.assertEqual([period_date(start, 31, n) for n in range(1, 6)],
                         [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
                          date(2026, 4, 30), date(2026, 5, 31)])
        self.assertEqual(period_date(date(2027, 12, 30), 30, 3), date(2028, 2, 29), "leap year")
        self.assertEqual(period_date(date(2026, 11, 5), 5, 3), date(2027, 1, 5), "across the year")

    def test_due_period_is_issued_validated_and_sent_once(self):
        start = a_31st_before_a_shorter_month()
        second = period_date(fields.Date.from_string(start), 31, 2)  # the next month's last day
        subscription = self._subscription(date_start=start)
        self.assertEqual(subscription.next_invoice_date, start)
        day_before = iso(fields.Date.from_string(start) - timedelta(days=1))
        self.assertEqual(self._run(day_before), 0, "nothing due the day before")

        self.assertEqual(self._run(start), 1)
        invoice = subscription.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "open")
        self.assertTrue(invoice.number)
        self.assertEqual(invoice.date_invoice, self.today, "dated the day it is issued")
        self.assertEqual(invoice.date_due, iso(date.today() + timedelta(days=30)), "30 days to pay")
        self.assertEqual((invoice.webo_period_start, invoice.webo_period_end),
                         (start, iso(second - timedelta(days=1))), "the month it bills")
        self.assertEqual(invoice.webo_subscription_period, 1)
        self.assertEqual(invoice.name, "Hébergement du site")
        self.assertAlmostEqual(invoice.amount_total, 60.0, places=2)
        self.assertEqual(invoice.webo_email_state, "pending", "sent once the mail server accepts it")
        self.assertEqual(len(self._queued_mails(invoice)), 1, "one email queued")
        self.assertEqual(self._queued_mails(invoice).recipient_ids, self.billing_a)
        self.assertEqual(self._queued_mails(invoice).author_id, self.designer_a.partner_id,
                         "sent in the designer's name, as the wizard does")
        self.assertTrue(invoice._webo_report().retrieve_attachment(invoice), "its PDF is kept")
        self.assertEqual(invoice.message_partner_ids, self.client_a | self.designer_a.partner_id,
                         "the client and the designer follow it, as any invoice validated in Odoo")
        self.assertEqual(subscription.next_period, 2)
        self.assertEqual(subscription.next_invoice_date, iso(second),
                         "the 31st bills on a shorter month's last day")

        self.assertEqual(self._run(start), 0, "a second run the same day issues nothing")
        self.assertEqual(len(subscription.invoice_ids), 1)

    def test_the_pdf_and_the_email_state_the_period_billed(self):
        start = month_day(1, 5)
        subscription = self._subscription(date_start=start)
        self._run(start)
        invoice = subscription.invoice_ids.sudo(self.designer_a)
        period = "du %s au %s" % (fields.Date.from_string(start).strftime("%d/%m/%Y"),
                                  (fields.Date.from_string(month_day(0, 5)) - timedelta(days=1)).strftime(
                                      "%d/%m/%Y"))
        html = invoice._webo_report().render_qweb_html(invoice.ids)[0].decode()
        self.assertIn("Période facturée", html)
        self.assertIn(fields.Date.from_string(start).strftime("%d/%m/%Y"), html)
        body = self._queued_mails(invoice).body_html
        self.assertIn("période %s" % period, body)

    def test_catch_up_after_downtime_one_invoice_per_missed_period(self):
        subscription = self._subscription(date_start=month_day(4, 10))
        other = self._subscription(date_start=month_day(2, 20))
        # Nothing ran for four months: each missed period gets its invoice,
        # across small batches, all dated today (numbers follow dates), each
        # stating the month it bills.
        run_day = month_day(0, 1)
        self.assertEqual(self._run(run_day, batch_size=2), 4 + 2)
        invoices = subscription.invoice_ids.sorted("webo_subscription_period")
        self.assertEqual(invoices.mapped("webo_period_start"), [month_day(n, 10) for n in (4, 3, 2, 1)])
        self.assertEqual(invoices.mapped("webo_period_end"), [month_day(n, 9) for n in (3, 2, 1, 0)])
        self.assertEqual(set(invoices.mapped("date_invoice")), {self.today})
        self.assertEqual(other.invoice_ids.sorted("webo_subscription_period").mapped("webo_period_start"),
                         [month_day(2, 20), month_day(1, 20)])
        self.assertEqual(sorted(subscription.invoice_ids.mapped("webo_subscription_period")), [1, 2, 3, 4])
        self.assertTrue(all(invoice.state == "open" for invoice in subscription.invoice_ids))
        numbers = invoices.mapped("number")
        self.assertEqual(numbers, sorted(numbers), "the periods in the order of their numbers")
        self.assertEqual(subscription.next_invoice_date, month_day(0, 10))
        self.assertEqual(self._run(run_day), 0)

    def test_progress_log(self):
        self._subscription(date_start=month_day(2, 10))
        self._subscription(date_start=month_day(2, 20))
        # A number: Odoo names its own level 25 "INFO".
        with self.assertLogs(RUN_LOGGER, level=logging.INFO) as logs:
            self._run(month_day(1, 15), batch_size=1)
        output = "\n".join(logs.output)
        self.assertIn("3 periods to invoice", output)
        for progress in ("1/3 periods invoiced", "2/3 periods invoiced", "3/3 periods invoiced"):
            self.assertIn(progress, output)
        self.assertIn("invoices/s", output)

    def test_one_invoice_per_period_is_a_database_constraint(self):
        subscription = self._subscription(date_start=month_day(1, 5))
        self._run(month_day(1, 5))
        values = subscription._invoice_values(1)
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            self.env["account.invoice"].create(values)
        self.assertEqual(len(subscription.invoice_ids), 1)

    def test_per_batch_method_issues_the_next_period_of_each(self):
        first = self._subscription(date_start=month_day(3, 5))
        second = self._subscription(date_start=month_day(3, 6))
        batch = self.env["webo.subscription"]._claim_due_batch(month_day(1, 28), 10)
        self.assertEqual(batch, first | second)
        invoices, failed = batch._invoice_next_period()
        self.assertEqual(failed, {})
        self.assertEqual(len(invoices), 2)
        self.assertEqual((first | second).mapped("next_period"), [2, 2], "one period each per batch")
        self.assertEqual(self.env["webo.subscription"]._claim_due_batch(month_day(3, 5), 10), self.env[
            "webo.subscription"], "the next periods are not due a month before")

    def test_a_failing_subscription_is_logged_and_the_others_go_on(self):
        no_email = self.env["res.partner"].create({
            "name": "Client sans adresse", "is_company": True, "customer": True,
            "company_id": self.workspace_a.id})
        broken = self._subscription(date_start=month_day(2, 5), partner_id=no_email.id)
        fine = self._subscription(date_start=month_day(2, 5))
        with mute_logger(RUN_LOGGER):
            self.assertEqual(self._run(month_day(1, 5)), 2)
        self.assertFalse(broken.invoice_ids, "nothing half-written")
        self.assertEqual(broken.next_period, 1)
        self.assertIn("n'a pas pu être éditée", broken.message_ids[0].body)
        self.assertIn("adresse e-mail", broken.message_ids[0].body, "what to fix")
        self.assertEqual(len(fine.invoice_ids), 2)

    def test_a_poisoned_subscription_fails_alone_whatever_the_error(self):
        """A subscription whose designer belongs to another workspace (an
        access error when its invoice is made in that user's name) among
        good ones: logged on it, the others invoiced, the run goes on."""
        first = self._subscription(date_start="2026-01-05")
        poisoned = self._subscription(date_start="2026-01-05")
        last = self._subscription(date_start="2026-01-05")
        self.env.cr.execute("UPDATE webo_subscription SET user_id = %s WHERE id = %s",
                            (self.designer_b.id, poisoned.id))
        poisoned.invalidate_cache()
        with mute_logger(RUN_LOGGER):
            self.assertEqual(self._run("2026-01-05"), 2)
        self.assertFalse(poisoned.invoice_ids, "nothing half-written")
        self.assertEqual(poisoned.next_period, 1, "left for the next run")
        log = poisoned.message_ids[0]
        self.assertIn("n'a pas pu être éditée", log.body)
        self.assertIn("Le prochain passage réessaie", log.body)
        self.assertIn(self.designer_a.partner_id, log.needaction_partner_ids,
                      "the workspace's designer is told")
        self.assertEqual(len(first.invoice_ids), 1)
        self.assertEqual(len(last.invoice_ids), 1)

    def test_stopped_subscription_issues_nothing_and_keeps_its_invoices(self):
        subscription = self._subscription(date_start=month_day(2, 5))
        self._run(month_day(2, 5))
        invoice = subscription.invoice_ids
        subscription.sudo(self.designer_a).webo_stop()
        self.assertEqual(subscription.state, "stopped")
        self.assertEqual(subscription.date_stop, fields.Date.context_today(subscription))
        self.assertEqual(self._run(self.today), 0)
        self.assertEqual(subscription.invoice_ids, invoice)
        self.assertEqual(invoice.state, "open", "issued invoices are untouched")

    def test_a_run_ahead_of_time_and_a_start_out_of_range_are_refused(self):
        operator = self.env["webo.subscription"].sudo(self.env.ref("base.user_root"))
        tomorrow = iso(date.today() + timedelta(days=1))
        with self.assertRaises(UserError), self.env.cr.savepoint():
            operator.webo_run(tomorrow)
        for start in (iso(date.today() + timedelta(days=400)), iso(date.today() - timedelta(days=400)),
                      "9999-12-31"):
            with self.subTest(start=start), self.assertRaises(ValidationError) as refusal, \
                    self.env.cr.savepoint():
                self._subscription(date_start=start)
            self.assertIn("n'est pas permise", str(refusal.exception))
        self.assertFalse(self.env["webo.subscription"].search([("partner_id", "=", self.client_a.id)]))

    def test_daily_job_runs_the_batch_itself_without_queue_job(self):
        model = self.env["webo.subscription"].with_context(webo_subscription_no_commit=True)
        self.assertFalse(model._webo_queue_job_installed(), "queue_job is not in this database")
        subscription = self._subscription(date_start=self.today)
        model._cron_invoice_due()
        self.assertEqual(len(subscription.invoice_ids), 1)
        self.assertEqual(subscription.invoice_ids.date_invoice, self.today)
        with self.assertRaises(UserError), self.env.cr.savepoint():
            model.webo_run(queue=True)


def page_sizes(pdf):
    return [tuple(float(side) for side in page.mediabox) for page in PdfReader(io.BytesIO(pdf)).pages]


class TestMonthlyRunPdfs(SubscriptionCase):
    """The run with real PDFs (wkhtmltopdf): a batch's invoices are printed
    together, and each one's legal PDF is stored as printing it alone
    stores it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The invoice's styles are inline: no server needs to answer.
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")

    def _stored_pdf(self, invoice):
        attachment = invoice._webo_report().retrieve_attachment(invoice)
        self.assertTrue(attachment, "the PDF of %s is stored" % invoice.number)
        return base64.b64decode(attachment.datas)

    def test_each_invoice_of_a_batch_gets_its_own_legal_pdf_and_email(self):
        subscriptions = (self._subscription(date_start=month_day(1, 5))
                         | self._subscription(date_start=month_day(1, 5), lines=((2.0, 40.0),))
                         | self._subscription(date_start=month_day(1, 5), name="Maintenance"))
        with real_pdfs():
            self.assertEqual(self._run(month_day(1, 5)), 3)
        invoices = subscriptions.mapped("invoice_ids")
        self.assertEqual(len(invoices), 3)
        for invoice in invoices:
            pdf = self._stored_pdf(invoice)
            text = " ".join(pdf_lines(pdf))
            self.assertIn("Facture %s" % invoice.number, text)
            for other in invoices - invoice:
                self.assertNotIn(other.number, text, "one invoice per PDF")
            self.assertEqual(value(xml_of(pdf), "//rsm:ExchangedDocument/ram:ID"), invoice.number)
            self.assertEqual(self._queued_mails(invoice).attachment_ids,
                             invoice._webo_report().retrieve_attachment(invoice),
                             "the email carries the stored PDF")

    def test_a_batch_pdf_is_the_pdf_printed_alone(self):
        self._subscription(date_start=month_day(1, 5), name="Maintenance")
        subscription = self._subscription(date_start=month_day(1, 5), lines=((1.0, 50.0), (3.0, 12.5)))
        with real_pdfs():
            self._run(month_day(1, 5))
        invoice = subscription.invoice_ids
        together = self._stored_pdf(invoice)
        # Printed alone, as the invoice wizard and a resend print it.
        invoice._webo_report().retrieve_attachment(invoice).unlink()
        with real_pdfs():
            alone = base64.b64decode(invoice.sudo(self.designer_a)._webo_pdf_attachment().datas)
        self.assertEqual(pdf_lines(together), pdf_lines(alone))
        self.assertEqual(page_sizes(together), page_sizes(alone))
        self.assertEqual(etree.tostring(xml_of(together)), etree.tostring(xml_of(alone)))

    def test_an_invoice_that_cannot_be_printed_fails_alone_and_leaves_no_gap(self):
        tax_10 = self.env["account.tax"].search([
            ("company_id", "=", self.workspace_a.id), ("type_tax_use", "=", "sale"),
            ("amount_type", "=", "percent"), ("amount", "=", 10.0), ("price_include", "=", False)],
            limit=1)
        first = self._subscription(date_start=month_day(1, 5))
        # Two VAT rates on one line: no Factur-X, hence no legal PDF.
        broken = self._subscription(date_start=month_day(1, 5), line_ids=[(0, 0, {
            "name": "Hébergement", "quantity": 1.0, "price_unit": 50.0,
            "tax_ids": [(6, 0, (self.workspace_a._webo_default_sale_tax() | tax_10).ids)]})])
        last = self._subscription(date_start=month_day(1, 5))
        with real_pdfs(), mute_logger(RUN_LOGGER):
            self.assertEqual(self._run(month_day(1, 5)), 2)
        self.assertFalse(broken.invoice_ids, "nothing half-written")
        self.assertEqual(broken.next_period, 1)
        self.assertIn("plusieurs taxes", broken.message_ids[0].body, "what to fix")
        numbers = [int(re.search(r"(\d+)$", subscription.invoice_ids.number).group(1))
                   for subscription in (first, last)]
        self.assertEqual(numbers[1], numbers[0] + 1, "consecutive numbers")
        for subscription in (first, last):
            self.assertTrue(self._stored_pdf(subscription.invoice_ids))
            self.assertEqual(len(self._queued_mails(subscription.invoice_ids)), 1)
