""""Consultée" seen from inside: the date is the payment page's to record
(nobody writes it, and it may change on an issued invoice), the Synthèse
counts the sent invoices not opened yet, and the reminders can say when
the client opened the invoice. (The page recording the first view, and
what does not count as one: tests/test_payment_page.py.) The EPC QR code
of the issued PDF, decoded from the printed page."""
import subprocess
import tempfile
from unittest.mock import patch

from PIL import Image
from pyzbar.pyzbar import decode

from odoo.exceptions import UserError
from odoo.tools import config

from .common import open_invoice
from .common_opening import VALID_IBAN, OpeningCase
from .test_reminders import ReminderCase


def set_viewed(invoice, when="2026-04-05 09:30:00"):
    """As the payment page does, by SQL."""
    invoice.env.cr.execute("UPDATE account_invoice SET webo_viewed_date = %s WHERE id = %s",
                           [when, invoice.id])
    invoice.invalidate_cache(["webo_viewed_date"], invoice.ids)


class TestViewedDate(ReminderCase):

    def test_nobody_writes_it_but_it_may_change_after_issue(self):
        invoice = self._late()
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            invoice.sudo(self.designer_a).with_context(lang="fr_FR").write(
                {"webo_viewed_date": "2026-04-02 10:00:00"})
        self.assertIn("enregistrée que par sa page de paiement", str(refused.exception.name))
        self.assertFalse(invoice.webo_viewed_date)
        # The platform's own code (superuser) may: it is not part of what was issued.
        invoice.write({"webo_viewed_date": "2026-04-02 10:00:00"})
        self.assertEqual(invoice.webo_viewed_date, "2026-04-02 10:00:00")

    def test_the_synthesis_counts_sent_invoices_not_viewed(self):
        service = self.env["webo.sale.service"]._webo_for_company(self.workspace_a).sudo()
        before = service.webo_synthesis()["unviewed_count"]
        first, second = self._late(), self._late()
        self.assertEqual(service.webo_synthesis()["unviewed_count"], before + 2)
        set_viewed(first)
        self.assertEqual(service.webo_synthesis()["unviewed_count"], before + 1)
        self._late(company=self.workspace_b, partner=self.client_b)
        self.assertEqual(service.webo_synthesis()["unviewed_count"], before + 1)
        self.assertEqual(second.webo_viewed_date, False)

    def test_reminders_say_when_the_client_viewed_the_invoice(self):
        level = self._levels().sudo(self.designer_a).with_context(lang="fr_FR")[0]
        level.write({"body": "Bonjour,\n\n{viewed}\n\nLa facture {invoice} reste due (vue : {viewed_date}).",
                     "days": 1})
        viewed, unseen = self._late(), self._late()
        set_viewed(viewed)
        self.assertEqual(self._run("2026-04-02"), 2)
        body = self._mails(viewed).body_html
        self.assertIn("Vous avez consulté cette facture le 05/04/2026.", body)
        self.assertIn("(vue : 05/04/2026)", body)
        self.assertNotIn("consulté", self._mails(unseen).body_html)

    def test_the_default_firm_reminder_names_the_view(self):
        level = self._levels().with_context(lang="fr_FR").filtered(lambda level: level.days == 8)
        self.assertIn("{viewed}", level.body)


class TestEpcQrCodeOfThePdf(OpeningCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._open_service(cls.designer_a)
        cls.client_a.lang = "fr_FR"
        cls.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:9")

    def test_the_issued_pdf_carries_the_transfer_to_make(self):
        invoice = open_invoice(self.env, self.workspace_a, self.client_a,
                               [("Création du site", 1, 1234.56, self.env["account.tax"])])
        report = self.env.ref("webo_sale.action_report_invoice")
        with tempfile.TemporaryDirectory() as report_dir, \
                patch.dict(config.options, {"test_report_directory": report_dir}):
            pdf, _kind = report.sudo(self.designer_a).render_qweb_pdf(invoice.ids)
            with open(report_dir + "/invoice.pdf", "wb") as out:
                out.write(pdf)
            subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1",
                            report_dir + "/invoice.pdf", report_dir + "/page"], check=True)
            image = Image.open(report_dir + "/page-1.png")
            codes = decode(image)
        self.assertEqual(len(codes), 1, "one QR code on the first page")
        fields = codes[0].data.decode("utf-8").split("\n")
        # EPC069-12: service tag, version, charset, identification, BIC,
        # beneficiary, IBAN, amount, purpose, structured reference, text.
        self.assertEqual(fields[0], "BCD")
        self.assertEqual(fields[3], "SCT")
        self.assertEqual(fields[4], "AGRIFRPPXXX")
        self.assertEqual(fields[5], self.workspace_a.name)
        self.assertEqual(fields[6], VALID_IBAN.replace(" ", ""))
        self.assertEqual(fields[7], "EUR1234.56")
        self.assertEqual(fields[-1], invoice.number)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, stdout=subprocess.PIPE,
                              check=True).stdout.decode()
        self.assertIn("Gardez la référence", " ".join(text.split()))
