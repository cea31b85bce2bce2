import io

from PyPDF2 import PdfFileReader, PdfFileWriter

from odoo import api, models


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

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
