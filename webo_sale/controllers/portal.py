import base64

from odoo import http
from odoo.addons.account.controllers.portal import PortalAccount
from odoo.exceptions import AccessError
from odoo.http import request


class WeboPortalAccount(PortalAccount):

    @http.route(["/my/invoices/pdf/<int:invoice_id>"], type="http", auth="public", website=True)
    def portal_my_invoice_report(self, invoice_id, access_token=None, **kw):
        """The client downloads the very PDF they were sent (the legal
        document of the workspace, stored when the invoice was issued), not
        Odoo's standard layout. The access check is Odoo's: the invoice's
        token, or a portal user who follows it."""
        try:
            invoice_sudo = self._invoice_check_access(invoice_id, access_token)
        except AccessError:
            return request.redirect("/my")
        if not invoice_sudo.company_id.webo_workspace or invoice_sudo.state not in ("open", "paid"):
            return super().portal_my_invoice_report(invoice_id, access_token=access_token, **kw)
        attachment = invoice_sudo._webo_pdf_attachment()
        pdf = base64.b64decode(attachment.datas)
        return request.make_response(pdf, headers=[
            ("Content-Type", "application/pdf"),
            ("Content-Length", len(pdf)),
            ("Content-Disposition", 'inline; filename="%s"' % attachment.datas_fname),
        ])
