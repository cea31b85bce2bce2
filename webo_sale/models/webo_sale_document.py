import base64
import binascii
import io
import logging

from PIL import Image
from PyPDF2 import PdfFileReader

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html_escape

from ..tools import decoded_size
from ..tools.actions import wizard_action
from .webo_api import public_method

_logger = logging.getLogger(__name__)

DOCUMENT_KINDS = [
    ("identity", "Identity document"),
    ("address", "Proof of address"),
    ("registration", "Company registration extract"),
    ("bank", "Bank details (RIB)"),
]
MAX_FILE_SIZE = 10 * 1024 * 1024
PDF_MIMETYPE, JPEG_MIMETYPE, PNG_MIMETYPE = "application/pdf", "image/jpeg", "image/png"


class WeboSaleDocument(models.Model):
    """A document given to open the payment-receiving account, reviewed by
    the platform operator. The file is an attachment of this record, so
    only who may read the record may read or download it."""

    _name = "webo.sale.document"
    _description = "Sales Service Document"
    _inherit = ["mail.thread"]
    _order = "service_id, kind"
    _rec_name = "kind"

    service_id = fields.Many2one(
        "webo.sale.service", string="Sales Service", required=True, readonly=True,
        ondelete="cascade", index=True)
    company_id = fields.Many2one(
        related="service_id.company_id", string="Workspace", store=True, readonly=True, index=True)
    kind = fields.Selection(DOCUMENT_KINDS, string="Document", required=True, readonly=True)
    file = fields.Binary(attachment=True, readonly=True)
    filename = fields.Char(string="File Name", readonly=True)
    mimetype = fields.Char(string="File Type", readonly=True)
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    state = fields.Selection(
        [("submitted", "Submitted"), ("validated", "Validated"), ("refused", "Refused")],
        string="Review", required=True, default="submitted", readonly=True,
        track_visibility="onchange")
    refusal_reason = fields.Text(string="Reason for Refusal", readonly=True)
    date_submitted = fields.Datetime(string="Submitted On", readonly=True)
    reviewer_id = fields.Many2one("res.users", string="Reviewed By", readonly=True)
    date_review = fields.Datetime(string="Reviewed On", readonly=True)

    _sql_constraints = [
        ("kind_unique", "unique(service_id, kind)",
         "A sales service has one document of each kind: replace it instead."),
    ]

    def name_get(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        return [(document.id, "%s – %s" % (kinds[document.kind], document.company_id.name))
                for document in self]

    # Actions (buttons)

    @api.multi
    @public_method
    def action_validate(self):
        self._webo_check_operator()
        validated = self.filtered(lambda document: document.state != "validated")
        for document in validated:
            document.write({"state": "validated", "refusal_reason": False,
                            "reviewer_id": self.env.uid, "date_review": fields.Datetime.now()})
            if document.kind == "bank":
                document.service_id.sudo()._webo_apply_pending_bank()
        validated._webo_notify_designers()
        return True

    def action_refuse(self):
        self._webo_check_operator()
        return wizard_action("webo.sale.document.refuse", _("Refuse the document"),
                             {"default_document_ids": [(6, 0, self.ids)]})

    def action_replace(self):
        self.ensure_one()
        self.service_id._webo_check_company()
        return wizard_action("webo.sale.document.replace", _("Replace the document"),
                             {"default_document_id": self.id})

    # Business methods

    def _webo_refuse(self, reason):
        self._webo_check_operator()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(_("Give the reason for the refusal: the designer reads it to "
                              "send the right document."))
        self.write({"state": "refused", "refusal_reason": reason,
                    "reviewer_id": self.env.uid, "date_review": fields.Datetime.now()})
        self._webo_notify_designers()
        return True

    def _webo_replace(self, data, filename):
        """A new file for this document, reviewed again."""
        self.ensure_one()
        self.service_id._webo_check_company()
        values = self._webo_file_values(data, filename, self._webo_kind_label())
        self.sudo().write(dict(values, state="submitted", refusal_reason=False,
                               reviewer_id=False, date_review=False))
        self.sudo().message_post(body=_("New file: %(filename)s") % {"filename": filename})
        self.service_id.sudo()._webo_stripe_send_replaced(self.sudo(), self.env.user)
        return True

    @api.model
    def _webo_file_values(self, data, filename, label):
        """Check a file given as base64 by its content (PDF, JPEG or PNG, at
        most 10 MB) and return the values that store it."""
        if not data:
            raise UserError(_("%(document)s: the file is missing.") % {"document": label})
        if isinstance(data, str):
            data = data.encode()
        self._webo_check_file_size(data, label)
        try:
            # (scripts often send base64 cut into lines)
            raw = base64.b64decode(b"".join(data.split()), validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise UserError(_("%(document)s: the file could not be read; send it again.")
                            % {"document": label}) from None
        self._webo_check_file_size(raw, label, decoded=True)
        mimetype = self._webo_sniff(raw)
        if not mimetype:
            raise UserError(_(
                "%(document)s: %(filename)s is not a PDF, JPEG or PNG file (whatever its "
                "name says). Send a PDF, JPEG or PNG.") % {"document": label,
                                                          "filename": filename or "?"})
        return {
            "file": base64.b64encode(raw),
            "filename": filename or "document",
            "mimetype": mimetype,
            "file_size": len(raw),
            "date_submitted": fields.Datetime.now(),
        }

    @api.model
    def _webo_check_file_size(self, data, label, decoded=False):
        """Refuse a file above the limit, from its base64 text (before it
        is decoded or stored) or from its bytes (``decoded``)."""
        size = len(data) if decoded else decoded_size(data)
        if size > MAX_FILE_SIZE:
            raise UserError(_(
                "%(document)s: the file is %(size)s MB; the limit is 10 MB. Send a lighter "
                "scan or photo.") % {"document": label, "size": "%.1f" % (size / 1048576.0)})

    @staticmethod
    def _webo_sniff(raw):
        """The type of a file by its content: a PDF with at least one page,
        or an image Pillow can decode as JPEG or PNG; None otherwise."""
        if raw.startswith(b"%PDF-"):
            try:
                if PdfFileReader(io.BytesIO(raw), strict=False).getNumPages() > 0:
                    return PDF_MIMETYPE
            except Exception:  # PyPDF2 raises anything on a broken file
                _logger.info("Refused a document: unreadable PDF")
            return None
        if raw.startswith(b"\xff\xd8\xff") or raw.startswith(b"\x89PNG\r\n\x1a\n"):
            try:
                image = Image.open(io.BytesIO(raw))
                image.verify()
            except Exception:  # Pillow raises anything on a broken file
                _logger.info("Refused a document: undecodable image")
                return None
            return {"JPEG": JPEG_MIMETYPE, "PNG": PNG_MIMETYPE}.get(image.format)
        return None

    def _webo_kind_label(self):
        self.ensure_one()
        return dict(self._fields["kind"]._description_selection(self.env))[self.kind]

    def _webo_check_operator(self):
        if not self.env.user.has_group("webo_sale.group_platform_operator"):
            raise AccessError(_("Only the platform operator reviews documents."))

    def _webo_validated_message(self):
        return _("Your document \"%(document)s\" was validated.") % {
            "document": self._webo_kind_label()}

    def _webo_refused_message(self):
        return _("Your document \"%(document)s\" was refused: %(reason)s. Replace it from "
                 "Gestion commerciale > Vente > Synthèse, tab Documents.") % {
            "document": self._webo_kind_label(), "reason": self.refusal_reason}

    def _webo_decision_message(self):
        if self.state == "validated":
            return self._webo_validated_message()
        return self._webo_refused_message()

    def _webo_notify_designers(self):
        """Tell each workspace's designers of the decisions on these
        documents (email and Odoo inbox), in their language: one message
        for the batch, signed by the platform, on its first document."""
        platform = self.env.ref("base.main_company").sudo()
        for company in self.mapped("company_id"):
            designers = company._webo_designers()
            # Through the mail queue, as every email of the service: the
            # operator's click does not wait for the SMTP server.
            documents = self.filtered(lambda d, company=company: d.company_id == company)
            documents = documents.sudo().with_context(lang=designers[:1].lang or self.env.lang,
                                                      mail_notify_force_send=False)
            decisions = "".join("<li>%s</li>" % html_escape(document._webo_decision_message())
                                for document in documents)
            intro = _("%(platform)s reviewed the documents of your sales service:") % {
                "platform": platform.name}
            body = "<p>%s</p><ul>%s</ul>" % (html_escape(intro), decisions)
            documents[0].message_post(
                subject=_("Review of your documents"),
                body=body,
                subtype="mail.mt_comment", message_type="notification",
                partner_ids=designers.mapped("partner_id").ids,
                author_id=platform.partner_id.id, email_from=platform.partner_id.email_formatted)
