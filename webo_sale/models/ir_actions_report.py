import base64
import io

from PyPDF2 import PdfFileReader, PdfFileWriter

from odoo import api, models
from odoo.tools import config

# The style sheets of Odoo's report layout (web.report_layout, web.html_container).
REPORT_BUNDLES = ("web.assets_common", "web.report_assets_common", "web.report_assets_pdf")

INVOICE_REPORT = "webo_sale.report_invoice"


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
        if self.report_name == INVOICE_REPORT and record._webo_is_issued() \
                and record.state in ("open", "paid"):
            buffer = io.BytesIO(record._webo_facturx_embed(buffer.getvalue()))
        return super().postprocess_pdf_report(record, buffer)

    @api.model
    def render_qweb_html(self, docids, data=None):
        """Odoo commits the transaction when a report generates its style
        sheets for the first time (so that wkhtmltopdf can fetch them). The
        subscriptions' run renders PDFs inside savepoints that a commit
        would destroy: it generates the style sheets beforehand
        (``_webo_prepare_report_assets``) and asks for no commit here."""
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

    @api.model
    def _run_wkhtmltopdf(self, bodies, header=None, footer=None, landscape=False,
                         specific_paperformat_args=None, set_viewport_size=False):
        """Print several documents at once (a selection of invoices).

        Debian's wkhtmltopdf is built against an unpatched Qt: it takes one
        input document per run, and Odoo passes one per record, so printing
        a selection gave an empty PDF. Each document is rendered on its own,
        then the PDFs are joined in order."""
        if len(bodies) < 2:
            return super()._run_wkhtmltopdf(
                bodies, header=header, footer=footer, landscape=landscape,
                specific_paperformat_args=specific_paperformat_args,
                set_viewport_size=set_viewport_size)
        writer = PdfFileWriter()
        for body in bodies:
            pdf = super()._run_wkhtmltopdf(
                [body], header=header, footer=footer, landscape=landscape,
                specific_paperformat_args=specific_paperformat_args,
                set_viewport_size=set_viewport_size)
            writer.appendPagesFromReader(PdfFileReader(io.BytesIO(pdf)))
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()
