from datetime import date, timedelta

from odoo import fields
from odoo.exceptions import AccessError

from ..models.webo_sale_service import WeboSaleService
from .common_opening import OpeningCase


class TestSynthesis(OpeningCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.service_a = cls._open_service(cls.designer_a)
        cls.client_a.email = "compta@client-a.example.org"  # the credit note is emailed
        today = date.today()
        cls.today = today
        # Issued in the order of their dates, as numbers follow dates.
        cls.overdue = cls._issue(cls.workspace_a, 80.0, today - timedelta(days=60),
                                 today - timedelta(days=30))
        cls.paid = cls._issue(cls.workspace_a, 120.0, today - timedelta(days=5), today + timedelta(days=25))
        cls._pay(cls.paid, 120.0)
        cls.partly_paid = cls._issue(cls.workspace_a, 300.0, today, today + timedelta(days=30))
        cls._pay(cls.partly_paid, 100.0)
        cls.cancelled = cls._issue(cls.workspace_a, 50.0, today, today + timedelta(days=30))
        cls.cancelled.sudo(cls.designer_a).webo_cancel_with_credit_note()
        cls._open_workspace_service(cls.workspace_b)
        cls._issue(cls.workspace_b, 999.0, today, today + timedelta(days=30))

    @classmethod
    def _issue(cls, company, amount, invoice_date, due_date):
        client = cls.client_a if company == cls.workspace_a else cls.client_b
        invoice = cls._create_invoice(company, client, amount)
        invoice.write({"date_invoice": fields.Date.to_string(invoice_date),
                       "date_due": fields.Date.to_string(due_date)})
        invoice.action_invoice_open()
        return invoice

    @classmethod
    def _pay(cls, invoice, amount):
        journal = cls.env["account.journal"].search(
            [("company_id", "=", invoice.company_id.id), ("type", "=", "bank")], limit=1)
        payment = cls.env["account.payment"].with_context(force_company=invoice.company_id.id).create({
            "payment_type": "inbound",
            "partner_type": "customer",
            "partner_id": invoice.partner_id.id,
            "amount": amount,
            "journal_id": journal.id,
            "payment_method_id": cls.env.ref("account.account_payment_method_manual_in").id,
            "invoice_ids": [(6, 0, invoice.ids)],
            "payment_date": fields.Date.to_string(cls.today),
        })
        payment.post()

    def test_figures_of_the_workspace_only(self):
        figures = self.service_a.sudo(self.designer_a).webo_synthesis()
        self.assertEqual(figures["state"], "open")
        self.assertEqual(figures["paid_count"], 1, "the credited invoice is not a paid one")
        self.assertAlmostEqual(figures["paid_amount"], 120.0, places=2)
        self.assertEqual(figures["unpaid_count"], 2)
        self.assertAlmostEqual(figures["unpaid_amount"], 280.0, places=2)
        self.assertAlmostEqual(figures["sale_outstanding"], 280.0, places=2)
        self.assertEqual(figures["overdue_count"], 1)
        self.assertAlmostEqual(figures["overdue_amount"], 80.0, places=2)

    def test_running_totals_equal_a_recount_of_the_invoices(self):
        # The triggers followed every create, validation, payment and credit
        # note of setUpClass; a recount from the invoices must agree.
        cr = self.env.cr
        for workspace in (self.workspace_a, self.workspace_b):
            cr.execute("""
                SELECT type, state, webo_credit_note_id IS NOT NULL, COUNT(*),
                       SUM(amount_total_company_signed), SUM(residual_company_signed)
                  FROM account_invoice
                 WHERE company_id = %s AND type IN ('out_invoice', 'out_refund')
                   AND state IN ('open', 'paid')
                 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""", [workspace.id])
            recount = cr.fetchall()
            cr.execute("""
                SELECT type, state, credited, SUM(invoice_count), SUM(amount_total), SUM(residual)
                  FROM webo_sale_synthesis_invoice WHERE company_id = %s
                 GROUP BY 1, 2, 3 HAVING SUM(invoice_count) <> 0 ORDER BY 1, 2, 3""", [workspace.id])
            self.assertEqual(cr.fetchall(), recount)
            self.assertTrue(recount)

    def test_twelve_months_of_invoiced_and_collected(self):
        months = self.service_a.sudo(self.designer_a).webo_synthesis()["months"]
        self.assertEqual(len(months), 12)
        self.assertEqual(months[-1]["month"], self.today.replace(day=1).isoformat())
        by_month = {m["month"]: m for m in months}
        this_month = by_month[self.today.replace(day=1).isoformat()]
        self.assertAlmostEqual(this_month["collected"], 220.0, places=2)
        # Invoices less the credit note, wherever their dates fall.
        self.assertAlmostEqual(sum(m["invoiced"] for m in months), 120.0 + 300.0 + 80.0, places=2)
        chart = self.service_a.sudo(self.designer_a).chart_html
        self.assertEqual(chart.count("<rect"), 24)
        self.assertIn("Encaissé", self.service_a.sudo(self.designer_a).with_context(lang="fr_FR").chart_html)

    def test_form_fields_match_the_api(self):
        service = self.service_a.sudo(self.designer_a)
        self.assertEqual(service.unpaid_count, 2)
        self.assertAlmostEqual(service.overdue_amount, 80.0, places=2)
        self.assertEqual(service.documents_status, "submitted")

    def test_purchase_outstanding_is_zero_without_the_deferred_payment_addon(self):
        # The extension point itself, as webo_sale defines it.
        self.assertEqual(WeboSaleService._webo_purchase_outstanding(self.service_a),
                         {"used": 0.0, "ceiling": 0.0, "available": 0.0})

    def test_welcome_window_on_the_first_visit_only(self):
        service = self.service_a.sudo(self.designer_a)
        self.assertTrue(service.welcome_pending)
        service.action_welcome_seen()
        service.invalidate_cache()
        self.assertFalse(service.welcome_pending)
        other = self._create_designer("designer_a2", self.workspace_a)
        self.assertTrue(self.service_a.sudo(other).welcome_pending, "each user sees it once")
        with self.assertRaises(AccessError):
            self.service_a.sudo(self.designer_b).action_welcome_seen()
