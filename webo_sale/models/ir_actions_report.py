import base64
import io
import logging
import os
import signal
import subprocess
import tempfile
import time

from PyPDF2 import PdfFileReader, PdfFileWriter

from odoo import _, api, models
from odoo.addons.base.ir.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import UserError
from odoo.sql_db import TestCursor
from odoo.tools import config

# The style sheets of Odoo's report layout (web.report_layout, web.html_container).
REPORT_BUNDLES = ("web.assets_common", "web.report_assets_common", "web.report_assets_pdf")

# wkhtmltopdf processes printing a batch of documents side by side. Each
# document waits out wkhtmltopdf's JavaScript delay (200 ms, which Odoo
# keeps) doing nothing: a few processes overlap these waits, even on two
# cores, and each process prints many documents (no start-up per document).
WKHTMLTOPDF_PROCESSES = 4

INVOICE_REPORT = "webo_sale.report_invoice"

# A wkhtmltopdf process that prints nothing is stopped after this many
# seconds per document it was given (system parameter
# webo_sale.pdf_timeout): a hung renderer must not hold a request or the
# monthly run for ever.
PDF_TIMEOUT_PER_DOCUMENT = 30
PDF_TIMEOUT_PARAMETER = "webo_sale.pdf_timeout"

_logger = logging.getLogger(__name__)


class PdfRenderingError(UserError):
    """wkhtmltopdf failed, hung or printed nothing."""


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.multi
    def render_qweb_pdf(self, res_ids=None, data=None):
        """One issued invoice prints as its stored document, byte for byte.

        The first time, Odoo returns the pages it just rendered, copied into
        a new PDF: without the Factur-X XML its stored copy carries."""
        content, kind = super().render_qweb_pdf(res_ids, data=data)
        if kind == "pdf" and self.report_name == INVOICE_REPORT and res_ids and len(res_ids) == 1:
            attachment = self.retrieve_attachment(self.env[self.model].browse(res_ids))
            if attachment:
                content = base64.b64decode(attachment.datas)
        return content, kind

    @api.multi
    def postprocess_pdf_report(self, record, buffer):
        """The stored PDF of an issued invoice or credit note is its
        Factur-X: the PDF/A-3 with the EN 16931 XML inside."""
        if self._webo_is_facturx(record):
            # Its XML may have been made while wkhtmltopdf printed
            # (_webo_print_and_store).
            parts = self.env.context.get("webo_facturx_parts", {}).get(record.id, {})
            buffer = io.BytesIO(record._webo_facturx_embed(buffer.getvalue(), **parts))
        return super().postprocess_pdf_report(record, buffer)

    def _webo_is_facturx(self, record):
        """Whether this report's stored PDF of ``record`` is a Factur-X."""
        return self.report_name == INVOICE_REPORT and record._webo_is_issued() \
            and record.state in ("open", "paid")

    @api.model
    def render_qweb_html(self, docids, data=None):
        """Odoo commits the transaction when a report generates its style
        sheets for the first time (so that wkhtmltopdf can fetch them). An
        invoice printed right after it took its number must not be
        committed before its PDF exists, and the subscriptions' run renders
        PDFs inside savepoints that a commit would destroy: they generate
        the style sheets beforehand (``_webo_prepare_report_assets``) and
        ask for no commit here."""
        report = self
        if self.env.context.get("webo_no_commit"):
            report = self.with_context(commit_assetsbundle=False)
        return super(IrActionsReport, report).render_qweb_html(docids, data=data)

    @api.model
    def _webo_prepare_report_assets(self):
        """Generate (and commit, outside the test runner) the style sheets
        the PDF reports link to, so that rendering a report later commits
        nothing."""
        qweb = self.env["ir.qweb"].with_context(commit_assetsbundle=not config["test_enable"])
        for bundle in REPORT_BUNDLES:
            qweb._get_asset_nodes(bundle, {}, css=True, js=False)

    @api.multi
    def _webo_print_and_store(self, records):
        """Print the documents of several records at once and store each
        one as printing it alone does (``postprocess_pdf_report``: for an
        issued invoice, its Factur-X). Returns the records whose document is
        now stored; none when this Odoo prints HTML instead of PDF (its
        test mode), where each record's document is made on its own."""
        self.ensure_one()
        if (config["test_enable"] and not config["test_report_directory"]) \
                or isinstance(self.env.cr, TestCursor) or not records:
            return records.browse()
        # The context Odoo prints a PDF with (render_qweb_pdf).
        report = self.with_context(debug=False)
        if not config["test_enable"]:
            report = report.with_context(commit_assetsbundle=True)
        html = report.render_qweb_html(records.ids)[0].decode("utf-8")
        bodies, html_ids, header, footer, paperformat_args = report._prepare_html(html)
        if sorted(html_ids) != sorted(records.ids):
            raise UserError(_("The report %(report)s does not print one document per record.")
                            % {"report": self.name})
        parts = {}

        def make_facturx_xml():
            # While wkhtmltopdf prints: the Factur-X XML of each document.
            for record in records.filtered(report._webo_is_facturx):
                parts[record.id] = record._webo_facturx_parts()

        pdfs = report._webo_run_wkhtmltopdf_each(
            bodies, header=header, footer=footer, landscape=self.env.context.get("landscape"),
            specific_paperformat_args=paperformat_args,
            set_viewport_size=self.env.context.get("set_viewport_size"),
            while_printing=make_facturx_xml)
        report = report.with_context(webo_facturx_parts=parts)
        for record_id, pdf in zip(html_ids, pdfs, strict=True):
            report.postprocess_pdf_report(records.browse(record_id), io.BytesIO(pdf))
        return records

    @api.model
    def _run_wkhtmltopdf(self, bodies, header=None, footer=None, landscape=False,
                         specific_paperformat_args=None, set_viewport_size=False):
        """Print the documents as Odoo does, but never wait for ever nor
        take an empty file for a PDF (``_webo_run_wkhtmltopdf_each``).

        Several documents at once (a selection of invoices): Debian's
        wkhtmltopdf is built against an unpatched Qt: it takes one input
        document per conversion, and Odoo passes one per record, so
        printing a selection gave an empty PDF. Each document is printed on
        its own, then the PDFs are joined in order."""
        pdfs = self._webo_run_wkhtmltopdf_each(
            bodies, header=header, footer=footer, landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        if len(pdfs) == 1:
            return pdfs[0]
        writer = PdfFileWriter()
        for pdf in pdfs:
            writer.appendPagesFromReader(PdfFileReader(io.BytesIO(pdf)))
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()

    @api.model
    def _webo_run_wkhtmltopdf_each(self, bodies, header=None, footer=None, landscape=False,
                                   specific_paperformat_args=None, set_viewport_size=False,
                                   while_printing=None):
        """One PDF per body, each printed as Odoo prints a single document
        (the same options), by a few wkhtmltopdf processes that each print
        their share of the bodies one after the other
        (``--read-args-from-stdin``: a line, a conversion).
        ``while_printing()``, if given, is called while they print."""
        paperformat = self.paperformat_id or self.env.user.company_id.paperformat_id
        arguments = self._build_wkhtmltopdf_args(
            paperformat, landscape, specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        with tempfile.TemporaryDirectory(prefix="report.") as folder:
            for part, html in (("header", header), ("footer", footer)):
                if html:
                    arguments += ["--%s-html" % part,
                                  self._webo_write_file(folder, "report.%s.tmp.html" % part, html)]
            jobs = []
            for index, body in enumerate(bodies):
                # Odoo's name: with a patched Qt, the layout's script picks
                # the body's header and footer by the index in it.
                source = self._webo_write_file(folder, "report.body.tmp.%d.html" % index, body)
                jobs.append((source, os.path.join(folder, "report.%d.pdf" % index)))
            shares = [jobs[start::WKHTMLTOPDF_PROCESSES] for start in range(WKHTMLTOPDF_PROCESSES)]
            per_document = self._webo_pdf_timeout()
            processes = []
            try:
                for share in filter(None, shares):
                    processes.append(self._webo_start_wkhtmltopdf(arguments, share))
                if while_printing:
                    while_printing()
            finally:
                # All of them done (or stopped) before any error is raised:
                # none may still be writing when the folder goes.
                deadline = time.monotonic() + per_document * max(map(len, shares))
                failures = [self._webo_wait_wkhtmltopdf(*process, deadline=deadline)
                            for process in processes]
            for failure in filter(None, failures):
                raise failure
            return [self._webo_read_pdf(target) for _source, target in jobs]

    @api.model
    def _webo_pdf_timeout(self):
        value = self.env["ir.config_parameter"].sudo().get_param(PDF_TIMEOUT_PARAMETER)
        try:
            return max(float(value), 1.0) if value else PDF_TIMEOUT_PER_DOCUMENT
        except ValueError:
            return PDF_TIMEOUT_PER_DOCUMENT

    @staticmethod
    def _webo_write_file(folder, name, content):
        path = os.path.join(folder, name)
        with open(path, "wb") as file:
            file.write(content)
        return path

    @staticmethod
    def _webo_start_wkhtmltopdf(arguments, jobs):
        errors = tempfile.TemporaryFile()
        try:
            # Its own process group: stopped with whatever it started.
            process = subprocess.Popen(
                [_get_wkhtmltopdf_bin(), *arguments, "--read-args-from-stdin"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
                start_new_session=True)
            # Temporary paths hold no space: one line is "source target".
            process.stdin.write("".join("%s %s\n" % job for job in jobs).encode())
            process.stdin.close()
        except OSError as error:
            errors.close()
            raise PdfRenderingError(_("wkhtmltopdf could not be started: %(error)s")
                                    % {"error": error}) from error
        return process, errors

    @staticmethod
    def _webo_wait_wkhtmltopdf(process, errors, deadline):
        """The error of a failed wkhtmltopdf process, else None; one still
        printing at ``deadline`` is stopped."""
        try:
            code = process.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            errors.close()
            _logger.warning("wkhtmltopdf (pid %s) stopped: no PDF in time", process.pid)
            return PdfRenderingError(_("wkhtmltopdf did not finish the PDF in time: it was stopped."))
        errors.seek(0)
        message = errors.read()[-1000:].decode("utf-8", "replace")
        errors.close()
        # As Odoo: 1 means printed with warnings (a resource that did not load).
        if code not in (0, 1):
            return PdfRenderingError(_("wkhtmltopdf could not print the PDF (error code %(code)s): "
                                       "%(message)s") % {"code": code, "message": message})
        return None

    @staticmethod
    def _webo_read_pdf(path):
        if not os.path.exists(path) or not os.path.getsize(path):
            raise PdfRenderingError(_("wkhtmltopdf printed no PDF for %(file)s.")
                                    % {"file": os.path.basename(path)})
        with open(path, "rb") as file:
            content = file.read()
        if not content.startswith(b"%PDF"):
            raise PdfRenderingError(_("wkhtmltopdf printed something that is not a PDF for %(file)s.")
                                    % {"file": os.path.basename(path)})
        return content
