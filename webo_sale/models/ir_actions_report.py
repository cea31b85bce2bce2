import base64
import io

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.sql_db import TestCursor
from odoo.tools import config

# The style sheets of Odoo's report layout (web.report_layout, web.html_container).
REPORT_BUNDLES = ("web.assets_common", "web.report_assets_common", "web.report_assets_pdf")

INVOICE_REPORT = "webo_sale.report_invoice"


class PdfRenderingError(UserError):
    """The PDF renderer (wkhtmltopdf) failed, hung or printed nothing."""


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    @api.model
    def _webo_rendering_error(self, error):
        """``error`` of a renderer as a ``PdfRenderingError`` worded in the
        user's language (``_`` reads it from this record's environment):
        the runtime's renderer tells its failure's kind and details (it has
        no translations); Odoo's own words its message itself."""
        kind = getattr(error, "kind", None)
        if kind == "started":
            message = _("wkhtmltopdf could not be started: %(error)s") % error.details
        elif kind == "timeout":
            message = _("wkhtmltopdf did not finish the PDF in time: it was stopped.")
        elif kind == "failed":
            message = _("wkhtmltopdf could not print the PDF (error code %(code)s): %(message)s") \
                % error.details
        elif kind == "empty":
            message = _("wkhtmltopdf printed no PDF for %(file)s.") % error.details
        elif kind == "not_pdf":
            message = _("wkhtmltopdf printed something that is not a PDF for %(file)s.") % error.details
        else:
            message = error.name
        return PdfRenderingError(message)

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
        test mode) or cannot print one PDF per document (an Odoo without
        the runtime's renderer, webo_report_pool), where each record's
        document is made on its own."""
        self.ensure_one()
        if (config["test_enable"] and not config["test_report_directory"]) \
                or isinstance(self.env.cr, TestCursor) or not records \
                or not hasattr(self, "_run_wkhtmltopdf_each"):
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
        parts, failures = {}, []

        def make_facturx_xml():
            # While wkhtmltopdf prints: the Factur-X XML of each document.
            # Its errors are raised once the printing is over: they are not
            # the renderer's.
            try:
                for record in records.filtered(report._webo_is_facturx):
                    parts[record.id] = record._webo_facturx_parts()
            except Exception as error:
                failures.append(error)

        try:
            pdfs = report._run_wkhtmltopdf_each(
                bodies, header=header, footer=footer, landscape=self.env.context.get("landscape"),
                specific_paperformat_args=paperformat_args,
                set_viewport_size=self.env.context.get("set_viewport_size"),
                while_printing=make_facturx_xml)
        except UserError as error:
            raise self._webo_rendering_error(error) from error
        if failures:
            raise failures[0]
        report = report.with_context(webo_facturx_parts=parts)
        for record_id, pdf in zip(html_ids, pdfs, strict=True):
            report.postprocess_pdf_report(records.browse(record_id), io.BytesIO(pdf))
        return records

    @api.model
    def _run_wkhtmltopdf(self, bodies, header=None, footer=None, landscape=False,
                         specific_paperformat_args=None, set_viewport_size=False):
        """The renderer's failure, whichever renderer prints (Odoo's, or
        the runtime's pool), raised as a ``PdfRenderingError``: an invoice
        is not issued without its PDF, and the subscriptions' run stops when
        the renderer fails a whole batch."""
        try:
            return super()._run_wkhtmltopdf(
                bodies, header=header, footer=footer, landscape=landscape,
                specific_paperformat_args=specific_paperformat_args,
                set_viewport_size=set_viewport_size)
        except UserError as error:
            raise self._webo_rendering_error(error) from error
