"""Importer une facture fournisseur (Factur-X): a supplier's Factur-X PDF
becomes a draft vendor bill of the designer's workspace, or is refused
with nothing written. Over XML-RPC: account.invoice.webo_import_facturx."""
import base64
import binascii
import io
import logging
from html import escape as html_escape

import facturx
from pypdf import PdfReader

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..facturx_cii import (
    BILL_TYPES,
    IMPORTABLE_LEVELS,
    TAXED_CATEGORIES,
    FacturxReader,
    check_facturx,
    quiet_facturx_errors,
)
from ..tools import MAX_XML_SIZE, UntrustedXmlError, check_upload_size, parse_untrusted_xml

_logger = logging.getLogger(__name__)

# A Factur-X invoice is a PDF of a few hundred kilobytes.
MAX_PDF_SIZE = 10 * 1024 * 1024
# The names the Factur-X (and ZUGFeRD 2) standard gives the embedded XML.
FACTURX_XML_NAMES = ("factur-x.xml", "zugferd-invoice.xml")


class WeboFacturxImport(models.TransientModel):
    _name = "webo.facturx.import"
    _description = "Import a supplier invoice (Factur-X)"

    data = fields.Binary(
        string="Factur-X PDF", required=True, attachment=False,
        help="The PDF invoice of your supplier, with its Factur-X XML inside.")
    filename = fields.Char(string="File Name")

    @api.model
    def create(self, values):
        # Refused before the file is stored in the wizard's row.
        check_upload_size(self, values.get("data"), MAX_PDF_SIZE,
                          values.get("filename") or _("the file"))
        return super().create(values)

    @api.multi
    def write(self, values):
        if "data" in values:
            check_upload_size(self, values["data"], MAX_PDF_SIZE,
                              values.get("filename") or _("the file"))
        return super().write(values)

    @api.multi
    def action_import(self):
        """"Importer": the supplier's invoice becomes a draft vendor bill,
        shown at once for checking."""
        self.ensure_one()
        bill = self.import_pdf(self.data, self.filename)
        return {
            "type": "ir.actions.act_window",
            "name": _("Supplier bill"),
            "res_model": "account.invoice",
            "res_id": bill.id,
            "view_mode": "form",
            "views": [(self.env.ref("account.invoice_supplier_form").id, "form")],
            "target": "current",
        }

    @api.model
    def import_pdf(self, content, filename=None):
        """The draft vendor bill (or refund) of the user's workspace made from
        a supplier's Factur-X PDF (base64). The supplier is found by SIRET,
        VAT number or SIREN among the workspace's partners, and created when
        unknown. An invalid file or an invoice already imported is refused,
        and nothing is written."""
        filename = filename or _("the file")
        pdf = self._decode_upload(content, filename)
        root, xml, level = self._facturx_root(pdf, filename)
        data = FacturxReader(root).invoice_values()
        with self.env.cr.savepoint():
            bill = self._create_vendor_bill(data, pdf, filename)
            self._record_rule_failures(bill, xml, level)
            return bill

    # Reading the file

    @api.model
    def _decode_upload(self, content, filename):
        check_upload_size(self, content, MAX_PDF_SIZE, filename)
        try:
            if isinstance(content, str):
                content = content.encode("ascii")
            # line breaks are allowed: base64.encodebytes() puts them
            pdf = base64.b64decode(b"".join((content or b"").split()), validate=True)
        except (binascii.Error, ValueError, TypeError):
            pdf = b""
        if not pdf.startswith(b"%PDF-"):
            raise UserError(_(
                "%(file)s is not a PDF: import the Factur-X invoice of your supplier, a PDF "
                "file with its XML inside."
            ) % {"file": filename})
        return pdf

    @api.model
    def _facturx_root(self, pdf, filename):
        """(XML tree, XML bytes, Factur-X profile) of the PDF's Factur-X,
        checked against the schema of its profile."""
        xml = self._facturx_xml(pdf, filename)
        if not xml:
            raise UserError(_(
                "%(file)s holds no Factur-X XML: it is a plain PDF. Ask your supplier for "
                "its Factur-X invoice, or enter the bill by hand."
            ) % {"file": filename})
        root = self._parse_xml(xml, filename)
        try:
            with quiet_facturx_errors():
                level = facturx.get_level(root, "factur-x")
                facturx.xml_check_xsd(root, flavor="factur-x", level=level)
        except Exception as error:
            raise UserError(_(
                "The Factur-X XML of %(file)s does not follow the Factur-X schema, so it "
                "cannot be imported; ask your supplier for a corrected invoice. Detail: "
                "%(error)s"
            ) % {"file": filename, "error": error}) from error
        if level not in IMPORTABLE_LEVELS:
            raise UserError(_(
                "%(file)s is a Factur-X of the MINIMUM profile, which has no VAT detail: ask "
                "your supplier for its invoice at the BASIC, EN 16931 or EXTENDED profile."
            ) % {"file": filename})
        return root, xml, level

    @api.model
    def _record_rule_failures(self, bill, xml, level):
        """The official rules (EN 16931, BR-FR) the supplier's XML fails:
        the bill is made all the same, as a draft, and says so in French
        on its form and in its history."""
        failures = [failure for failure in check_facturx(xml, level=level)
                    if failure.artefact != "XSD"]
        if not failures:
            return
        listing = "\n".join("%s (%s) : %s" % (failure.rule, failure.artefact, failure.message)
                             for failure in failures)
        bill.webo_facturx_rule_failures = listing
        bill.message_post(body=_(
            "The supplier's Factur-X fails %(count)s of the official e-invoicing rules "
            "(EN 16931, French reform): check this bill and ask your supplier for a "
            "corrected invoice before validating it.<br/>%(rules)s"
        ) % {"count": len(failures),
             "rules": "<br/>".join(html_escape(line) for line in listing.splitlines())})

    @api.model
    def _facturx_xml(self, pdf, filename):
        """The bytes of the XML the PDF embeds under its Factur-X name, or
        None. Taken out here rather than by the factur-x library, which
        parses it with lxml's default parser (external entities resolved)."""
        try:
            with quiet_facturx_errors():
                for attachment in PdfReader(io.BytesIO(pdf)).attachment_list:
                    if (attachment.name or "").lower() in FACTURX_XML_NAMES and attachment.content:
                        return attachment.content
        except Exception as error:  # pypdf raises many kinds on a damaged file
            _logger.info("Unreadable PDF %s: %s", filename, error)
            raise UserError(_(
                "%(file)s is a damaged PDF that cannot be read: ask your supplier to send "
                "it again."
            ) % {"file": filename}) from error
        return None

    @api.model
    def _parse_xml(self, xml, filename):
        try:
            return parse_untrusted_xml(xml)
        except UntrustedXmlError as error:
            _logger.warning("Refused the Factur-X XML of %s (%s)", filename, error)
            if error.reason == "dtd":
                raise UserError(_(
                    "The Factur-X XML of %(file)s declares a DTD or entities (<!DOCTYPE ...>), "
                    "which no Factur-X invoice needs and which are refused for security: ask "
                    "your supplier for a standard Factur-X invoice."
                ) % {"file": filename}) from None
            if error.reason == "size":
                raise UserError(_(
                    "The Factur-X XML of %(file)s is larger than %(limit)s MB: it cannot be "
                    "an ordinary invoice. Ask your supplier for a standard Factur-X invoice."
                ) % {"file": filename, "limit": MAX_XML_SIZE // (1024 * 1024)}) from None
            raise UserError(_(
                "The Factur-X XML of %(file)s is not well-formed XML: ask your supplier for a "
                "corrected invoice."
            ) % {"file": filename}) from None

    # Writing the bill

    @api.model
    def _create_vendor_bill(self, data, pdf, filename):
        company = self.env.user.company_id
        bill_type = BILL_TYPES.get(data["type_code"])
        if not bill_type:
            raise UserError(_(
                "%(file)s is a document of type %(code)s, neither an invoice nor a credit "
                "note: it cannot become a vendor bill."
            ) % {"file": filename, "code": data["type_code"]})
        self._check_buyer(data["buyer"], company)
        currency = self.env["res.currency"].search([("name", "=", data["currency"])], limit=1)
        if not currency:
            raise UserError(_("%(file)s is in %(currency)s, a currency this workspace does not use.")
                            % {"file": filename, "currency": data["currency"]})
        partner = self._find_supplier(data["seller"], company)
        if partner:
            self._check_not_imported(partner, data, company)
        else:
            partner = self._create_supplier(data["seller"], company)
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1)
        if not journal:
            raise UserError(_("Your workspace has no purchase journal to record the bill in."))
        bill = self.env["account.invoice"].create({
            "type": bill_type,
            "partner_id": partner.id,
            "company_id": company.id,
            "journal_id": journal.id,
            "currency_id": currency.id,
            "account_id": partner.with_context(
                force_company=company.id).property_account_payable_id.id,
            "reference": data["number"],
            "date_invoice": data["date"],
            "date_due": data["date_due"] or data["date"],
            "invoice_line_ids": [(0, 0, values) for values in self._bill_lines(data, journal)],
        })
        bill.compute_taxes()
        self._align_vat(bill, data["vat_breakdown"])
        self._check_totals(bill, data, filename)
        attachment = self.env["ir.attachment"].create({
            "name": filename,
            "datas_fname": filename,
            "datas": base64.b64encode(pdf),
            "res_model": "account.invoice",
            "res_id": bill.id,
            "mimetype": "application/pdf",
        })
        bill.message_post(body=_("Imported from the Factur-X invoice %(number)s of %(supplier)s.")
                          % {"number": data["number"], "supplier": partner.name},
                          attachment_ids=attachment.ids)
        return bill

    @api.model
    def _check_buyer(self, buyer, company):
        """The invoice must be addressed to this workspace when both carry
        identifiers that can be compared."""
        comparisons = []
        company_siren = (company.siret or "")[:9]
        if buyer.get("siren") and company_siren:
            comparisons.append(buyer["siren"] == company_siren)
        if buyer.get("vat") and company.vat:
            comparisons.append(buyer["vat"] == "".join(company.vat.split()).upper())
        if comparisons and not any(comparisons):
            raise UserError(_(
                "This invoice is addressed to %(buyer)s, not to your workspace %(company)s: "
                "it cannot be recorded as one of your bills."
            ) % {"buyer": buyer.get("name") or buyer.get("siren") or buyer.get("vat"),
                 "company": company.name})

    @api.model
    def _find_supplier(self, seller, company):
        """The workspace's partner with the seller's SIRET, VAT number or
        SIREN, in that order."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        scope = [("parent_id", "=", False), ("company_id", "=", company.id)]
        for field, operator, value in (("siret", "=", seller.get("siret")),
                                       ("vat", "=", seller.get("vat")),
                                       ("siret", "=like", seller.get("siren") and seller["siren"] + "%")):
            if value:
                partner = Partner.search([*scope, (field, operator, value)], limit=1)
                if partner:
                    return partner
        return Partner

    @api.model
    def _create_supplier(self, seller, company):
        if not seller.get("name"):
            raise UserError(_("The invoice does not name its seller: it cannot be imported."))
        country = self.env["res.country"].search([("code", "=", seller.get("country") or "FR")], limit=1)
        return self.env["res.partner"].create({
            "name": seller["name"],
            "is_company": True,
            "supplier": True,
            "customer": False,
            "company_id": company.id,
            "siret": seller.get("siret") or False,
            "vat": seller.get("vat") or False,
            "street": seller.get("street") or False,
            "street2": seller.get("street2") or False,
            "zip": seller.get("zip") or False,
            "city": seller.get("city") or False,
            "country_id": country.id,
            "email": seller.get("email") or False,
        })

    @api.model
    def _check_not_imported(self, partner, data, company):
        duplicate = self.env["account.invoice"].search([
            ("type", "in", ("in_invoice", "in_refund")), ("company_id", "=", company.id),
            ("commercial_partner_id", "=", partner.commercial_partner_id.id),
            ("reference", "=", data["number"]), ("state", "!=", "cancel")], limit=1)
        if duplicate:
            raise UserError(_(
                "The invoice %(number)s of %(supplier)s is already recorded (bill of "
                "%(date)s): it is not imported twice."
            ) % {"number": data["number"], "supplier": partner.name,
                 "date": duplicate.date_invoice})

    @api.model
    def _bill_lines(self, data, journal):
        lines = data["lines"] or [{
            # BASIC WL: no lines, one per VAT rate of the breakdown
            "name": _("Invoice %(number)s, VAT %(rate)s %%") % {"number": data["number"],
                                                                "rate": entry["rate"]},
            "quantity": 1.0, "price": entry["base"], "base_quantity": 0.0,
            "total": entry["base"], "category": entry["category"], "rate": entry["rate"],
        } for entry in data["vat_breakdown"]]
        account = journal.default_debit_account_id
        return [dict(self._bill_line_amounts(line), account_id=account.id,
                     invoice_line_tax_ids=[(6, 0, self._purchase_tax(line, journal).ids)])
                for line in lines]

    @api.model
    def _bill_line_amounts(self, line):
        """Quantity and unit price giving the line's total: the price
        stored with two decimals, or the total for one unit when the
        supplier's price has more."""
        quantity = line["quantity"] or 1.0
        price = line["price"] / (line["base_quantity"] or 1.0)
        name = line["name"] or "-"
        if float_compare(round(price, 2) * quantity, line["total"], precision_digits=2) != 0:
            name = "%s (%s x %s)" % (name, ("%g" % quantity), ("%g" % price))
            quantity, price = 1.0, line["total"]
        return {"name": name, "quantity": quantity, "price_unit": price}

    @api.model
    def _purchase_tax(self, line, journal):
        Tax = self.env["account.tax"]
        if line["category"] not in TAXED_CATEGORIES or not line["rate"]:
            return Tax
        tax = Tax.search([
            ("company_id", "=", journal.company_id.id), ("type_tax_use", "=", "purchase"),
            ("amount_type", "=", "percent"), ("price_include", "=", False),
            ("amount", "=", line["rate"])], order="sequence, id", limit=1)
        if not tax:
            raise UserError(_("Your workspace has no purchase VAT at %(rate)s %%: add it before "
                              "importing this invoice.") % {"rate": line["rate"]})
        return tax

    @api.model
    def _align_vat(self, bill, breakdown):
        """Keep the supplier's VAT amount per rate: its rounding may differ
        from Odoo's by a cent, and the bill must say what the invoice says."""
        amounts = {round(entry["rate"], 2): entry["amount"] for entry in breakdown}
        for tax_line in bill.tax_line_ids:
            amount = amounts.get(round(tax_line.tax_id.amount, 2))
            if amount is not None and float_compare(
                    amount, tax_line.amount, precision_rounding=bill.currency_id.rounding):
                tax_line.amount = amount

    @api.model
    def _check_totals(self, bill, data, filename):
        rounding = bill.currency_id.rounding
        if float_compare(bill.amount_untaxed, data["untaxed"], precision_rounding=rounding) or \
                float_compare(bill.amount_total, data["total"], precision_rounding=rounding):
            raise UserError(_(
                "The lines of %(file)s do not add up to its totals (%(untaxed)s excl. VAT, "
                "%(total)s incl. VAT; the lines give %(our_untaxed)s and %(our_total)s): ask "
                "your supplier for a corrected invoice."
            ) % {"file": filename, "untaxed": data["untaxed"], "total": data["total"],
                 "our_untaxed": bill.amount_untaxed, "our_total": bill.amount_total})
