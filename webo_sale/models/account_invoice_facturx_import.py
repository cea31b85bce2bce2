"""Factur-X reception: a supplier's Factur-X PDF becomes a draft vendor
bill of the designer's workspace, or is refused with nothing written."""
import base64
import binascii
import datetime
import io
import logging
from contextlib import contextmanager

import facturx
from lxml import etree
from pypdf import PdfReader

from odoo import _, api, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .account_invoice_facturx import NSMAP, SCHEME_SIREN, SCHEME_SIRET

_logger = logging.getLogger(__name__)

BILL_TYPES = {"380": "in_invoice", "381": "in_refund", "384": "in_invoice", "389": "in_invoice"}
# The MINIMUM profile carries totals only, no VAT rate: not enough for a bill.
IMPORTABLE_LEVELS = ("basicwl", "basic", "en16931", "extended")
# VAT categories (UNTDID 5305) that put VAT on the bill.
TAXED_CATEGORIES = ("S", "Z", "L", "M")


@contextmanager
def quiet_facturx_errors():
    """The factur-x library logs a file that fails its schema as an ERROR;
    for an upload that is the user's input error, reported to them."""
    library_logger = logging.getLogger("factur-x")
    level = library_logger.level
    library_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        library_logger.setLevel(level)


class FacturxReader:
    """The values of a Factur-X (CII) XML a vendor bill needs."""

    def __init__(self, root):
        self.root = root

    def text(self, path, node=None):
        found = (self.root if node is None else node).xpath(path, namespaces=NSMAP)
        return found[0].text.strip() if found and found[0].text else ""

    def number(self, path, node=None):
        value = self.text(path, node)
        return float(value) if value else 0.0

    def date(self, path):
        value = self.text(path)
        return datetime.datetime.strptime(value, "%Y%m%d").date() if value else False

    def party(self, tag):
        node = self.root.xpath("//ram:ApplicableHeaderTradeAgreement/ram:%s" % tag, namespaces=NSMAP)
        if not node:
            return {}
        node = node[0]
        siret = self.text("ram:GlobalID[@schemeID='%s']" % SCHEME_SIRET, node) or \
            self.text("ram:SpecifiedLegalOrganization/ram:ID[@schemeID='%s']" % SCHEME_SIRET, node)
        siren = self.text("ram:SpecifiedLegalOrganization/ram:ID[@schemeID='%s']" % SCHEME_SIREN, node)
        return {
            "name": self.text("ram:Name", node),
            "siret": "".join(siret.split()),
            "siren": "".join((siren or siret[:9]).split()),
            "vat": "".join(self.text("ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']", node)
                           .split()).upper(),
            "street": self.text("ram:PostalTradeAddress/ram:LineOne", node),
            "street2": self.text("ram:PostalTradeAddress/ram:LineTwo", node),
            "zip": self.text("ram:PostalTradeAddress/ram:PostcodeCode", node),
            "city": self.text("ram:PostalTradeAddress/ram:CityName", node),
            "country": self.text("ram:PostalTradeAddress/ram:CountryID", node),
            "email": self.text("ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']", node),
        }

    def lines(self):
        lines = []
        for node in self.root.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NSMAP):
            settlement = "ram:SpecifiedLineTradeSettlement/"
            lines.append({
                "name": self.text("ram:SpecifiedTradeProduct/ram:Name", node),
                "quantity": self.number("ram:SpecifiedLineTradeDelivery/ram:BilledQuantity", node),
                "price": self.number("ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice/"
                                     "ram:ChargeAmount", node),
                "base_quantity": self.number("ram:SpecifiedLineTradeAgreement/"
                                             "ram:NetPriceProductTradePrice/ram:BasisQuantity", node),
                "total": self.number(settlement + "ram:SpecifiedTradeSettlementLineMonetarySummation/"
                                                  "ram:LineTotalAmount", node),
                "category": self.text(settlement + "ram:ApplicableTradeTax/ram:CategoryCode", node),
                "rate": self.number(settlement + "ram:ApplicableTradeTax/ram:RateApplicablePercent", node),
            })
        return lines

    def vat_breakdown(self):
        return [{
            "category": self.text("ram:CategoryCode", node),
            "rate": self.number("ram:RateApplicablePercent", node),
            "base": self.number("ram:BasisAmount", node),
            "amount": self.number("ram:CalculatedAmount", node),
        } for node in self.root.xpath(
            "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NSMAP)]

    def read(self):
        summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
        return {
            "type_code": self.text("//rsm:ExchangedDocument/ram:TypeCode"),
            "number": self.text("//rsm:ExchangedDocument/ram:ID"),
            "date": self.date("//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString"),
            "date_due": self.date("//ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                                  "udt:DateTimeString"),
            "currency": self.text("//ram:InvoiceCurrencyCode"),
            "seller": self.party("SellerTradeParty"),
            "buyer": self.party("BuyerTradeParty"),
            "lines": self.lines(),
            "vat_breakdown": self.vat_breakdown(),
            "untaxed": self.number(summation + "ram:TaxBasisTotalAmount"),
            "total": self.number(summation + "ram:GrandTotalAmount"),
        }


class AccountInvoice(models.Model):
    _inherit = "account.invoice"

    @api.model
    def webo_import_facturx(self, content, filename=None):
        """Import a supplier's Factur-X PDF (base64) as a draft vendor bill
        (or refund) of the user's workspace; returns its id. The supplier
        is found by SIRET, SIREN or VAT number among the workspace's
        partners, and created when unknown. An invalid file or an invoice
        already imported is refused, and nothing is written."""
        filename = filename or _("the file")
        pdf = self._webo_decode_upload(content, filename)
        data = FacturxReader(self._webo_facturx_root(pdf, filename)).read()
        with self.env.cr.savepoint():
            bill = self._webo_create_vendor_bill(data, pdf, filename)
        return bill.id

    # Reading the file

    @api.model
    def _webo_decode_upload(self, content, filename):
        try:
            pdf = base64.b64decode(content or b"", validate=True)
        except (binascii.Error, ValueError, TypeError):
            pdf = b""
        if not pdf.startswith(b"%PDF-"):
            raise UserError(_(
                "%(file)s is not a PDF: import the Factur-X invoice of your supplier, a PDF "
                "file with its XML inside."
            ) % {"file": filename})
        return pdf

    @api.model
    def _webo_facturx_root(self, pdf, filename):
        """The XML tree of the PDF's Factur-X, checked against its schema."""
        try:
            with quiet_facturx_errors():
                PdfReader(io.BytesIO(pdf))
                _name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=False)
        except Exception as error:  # pypdf raises many kinds on a damaged file
            _logger.info("Unreadable PDF %s: %s", filename, error)
            raise UserError(_(
                "%(file)s is a damaged PDF that cannot be read: ask your supplier to send "
                "it again."
            ) % {"file": filename})
        if not xml:
            raise UserError(_(
                "%(file)s holds no Factur-X XML: it is a plain PDF. Ask your supplier for "
                "its Factur-X invoice, or enter the bill by hand."
            ) % {"file": filename})
        root = etree.fromstring(xml)
        try:
            with quiet_facturx_errors():
                level = facturx.get_level(root, "factur-x")
                facturx.xml_check_xsd(root, flavor="factur-x", level=level)
        except Exception as error:
            raise UserError(_(
                "The Factur-X XML of %(file)s does not follow the Factur-X schema, so it "
                "cannot be imported; ask your supplier for a corrected invoice. Detail: "
                "%(error)s"
            ) % {"file": filename, "error": error})
        if level not in IMPORTABLE_LEVELS:
            raise UserError(_(
                "%(file)s is a Factur-X of the MINIMUM profile, which has no VAT detail: ask "
                "your supplier for its invoice at the BASIC, EN 16931 or EXTENDED profile."
            ) % {"file": filename})
        return root

    # Writing the bill

    def _webo_create_vendor_bill(self, data, pdf, filename):
        company = self.env.user.company_id
        bill_type = BILL_TYPES.get(data["type_code"])
        if not bill_type:
            raise UserError(_(
                "%(file)s is a document of type %(code)s, neither an invoice nor a credit "
                "note: it cannot become a vendor bill."
            ) % {"file": filename, "code": data["type_code"]})
        self._webo_check_buyer(data["buyer"], company)
        currency = self.env["res.currency"].search([("name", "=", data["currency"])], limit=1)
        if not currency:
            raise UserError(_("%(file)s is in %(currency)s, a currency this workspace does not use.")
                            % {"file": filename, "currency": data["currency"]})
        partner = self._webo_find_supplier(data["seller"], company)
        if partner:
            self._webo_check_not_imported(partner, data, company)
        else:
            partner = self._webo_create_supplier(data["seller"], company)
        journal = self.env["account.journal"].search(
            [("company_id", "=", company.id), ("type", "=", "purchase")], limit=1)
        if not journal:
            raise UserError(_("Your workspace has no purchase journal to record the bill in."))
        bill = self.create({
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
            "invoice_line_ids": [(0, 0, values) for values in self._webo_bill_lines(data, journal)],
        })
        bill.compute_taxes()
        bill._webo_align_vat_with(data["vat_breakdown"])
        bill._webo_check_totals(data, filename)
        attachment = self.env["ir.attachment"].create({
            "name": filename,
            "datas_fname": filename,
            "datas": base64.b64encode(pdf),
            "res_model": self._name,
            "res_id": bill.id,
            "mimetype": "application/pdf",
        })
        bill.message_post(body=_("Imported from the Factur-X invoice %(number)s of %(supplier)s.")
                          % {"number": data["number"], "supplier": partner.name},
                          attachment_ids=attachment.ids)
        return bill

    @api.model
    def _webo_check_buyer(self, buyer, company):
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
    def _webo_find_supplier(self, seller, company):
        """The workspace's partner with the seller's SIRET, VAT number or
        SIREN, in that order."""
        Partner = self.env["res.partner"].with_context(active_test=False)
        scope = [("parent_id", "=", False), ("company_id", "=", company.id)]
        for field, operator, value in (("siret", "=", seller.get("siret")),
                                       ("vat", "=", seller.get("vat")),
                                       ("siret", "=like", seller.get("siren") and seller["siren"] + "%")):
            if value:
                partner = Partner.search(scope + [(field, operator, value)], limit=1)
                if partner:
                    return partner
        return Partner

    @api.model
    def _webo_create_supplier(self, seller, company):
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
    def _webo_check_not_imported(self, partner, data, company):
        duplicate = self.search([
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
    def _webo_bill_lines(self, data, journal):
        lines = data["lines"] or [{
            # BASIC WL: no lines, one per VAT rate of the breakdown
            "name": _("Invoice %(number)s, VAT %(rate)s %%") % {"number": data["number"],
                                                                "rate": entry["rate"]},
            "quantity": 1.0, "price": entry["base"], "base_quantity": 0.0,
            "total": entry["base"], "category": entry["category"], "rate": entry["rate"],
        } for entry in data["vat_breakdown"]]
        account = journal.default_debit_account_id
        return [dict(self._webo_bill_line_amounts(line), account_id=account.id,
                     invoice_line_tax_ids=[(6, 0, self._webo_purchase_tax(line, journal).ids)])
                for line in lines]

    @api.model
    def _webo_bill_line_amounts(self, line):
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
    def _webo_purchase_tax(self, line, journal):
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

    def _webo_align_vat_with(self, breakdown):
        """Keep the supplier's VAT amount per rate: its rounding may differ
        from Odoo's by a cent, and the bill must say what the invoice says."""
        amounts = {round(entry["rate"], 2): entry["amount"] for entry in breakdown}
        for tax_line in self.tax_line_ids:
            amount = amounts.get(round(tax_line.tax_id.amount, 2))
            if amount is not None and float_compare(
                    amount, tax_line.amount, precision_rounding=self.currency_id.rounding):
                tax_line.amount = amount

    def _webo_check_totals(self, data, filename):
        rounding = self.currency_id.rounding
        if float_compare(self.amount_untaxed, data["untaxed"], precision_rounding=rounding) or \
                float_compare(self.amount_total, data["total"], precision_rounding=rounding):
            raise UserError(_(
                "The lines of %(file)s do not add up to its totals (%(untaxed)s excl. VAT, "
                "%(total)s incl. VAT; the lines give %(our_untaxed)s and %(our_total)s): ask "
                "your supplier for a corrected invoice."
            ) % {"file": filename, "untaxed": data["untaxed"], "total": data["total"],
                 "our_untaxed": self.amount_untaxed, "our_total": self.amount_total})
