"""The Factur-X XML of an issued invoice or credit note.

A UN/CEFACT Cross Industry Invoice at the EN 16931 profile of Factur-X,
checked against the official schema by the ``factur-x`` library."""
import facturx
from lxml import etree
from lxml.builder import ElementMaker

from odoo import _, fields
from odoo.exceptions import UserError

NS_RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS_RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
NS_QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NS_UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
NSMAP = {"rsm": NS_RSM, "ram": NS_RAM, "qdt": NS_QDT, "udt": NS_UDT}
RSM = ElementMaker(namespace=NS_RSM, nsmap=NSMAP)
RAM = ElementMaker(namespace=NS_RAM, nsmap=NSMAP)
QDT = ElementMaker(namespace=NS_QDT, nsmap=NSMAP)
UDT = ElementMaker(namespace=NS_UDT, nsmap=NSMAP)

EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
FACTURX_LEVEL = "en16931"
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
# ISO 6523 identifier schemes used in France: SIREN (legal registration),
# SIRET (establishment).
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"
# UNTDID 4461: SEPA credit transfer.
PAYMENT_MEANS_SEPA_TRANSFER = "58"
FRANCHISE_REASON = "TVA non applicable, art. 293 B du CGI"
FRANCHISE_REASON_CODE = "VATEX-FR-FRANCHISE"
EXEMPTION_REASON = "Exonération de TVA"


def cii_date(value):
    """A date in the CII 102 format (YYYYMMDD)."""
    return fields.Date.from_string(value).strftime("%Y%m%d")


class FacturxWriter:
    """Writes the Factur-X XML of one issued invoice or credit note."""

    def __init__(self, invoice):
        invoice.ensure_one()
        self.invoice = invoice
        # for _(): the translations of the invoice's environment
        self.env = invoice.env

    def xml(self):
        """The XML as bytes, checked against the EN 16931 schema."""
        root = RSM.CrossIndustryInvoice(
            RSM.ExchangedDocumentContext(
                RAM.GuidelineSpecifiedDocumentContextParameter(RAM.ID(EN16931_GUIDELINE))),
            self._document(),
            RSM.SupplyChainTradeTransaction(
                *self._lines(),
                self._agreement(),
                RAM.ApplicableHeaderTradeDelivery(),
                self._settlement(),
            ),
        )
        xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        facturx.xml_check_xsd(xml, flavor="factur-x", level=FACTURX_LEVEL)
        return xml

    def pdf_metadata(self):
        """Title, subject... of the PDF/A-3, in French."""
        invoice = self.invoice
        kind = "Avoir" if invoice.type == "out_refund" else "Facture"
        seller = invoice.company_id.name
        return {
            "author": seller,
            "keywords": "Factur-X, %s" % kind,
            "title": "%s : %s %s" % (seller, kind, invoice.number),
            "subject": "Factur-X %s %s du %s émis par %s" % (
                kind.lower(), invoice.number,
                fields.Date.from_string(invoice.date_invoice).strftime("%d/%m/%Y"), seller),
        }

    # The document (BG-1 notes, BT-1 to BT-3)

    def _document(self):
        return RSM.ExchangedDocument(
            RAM.ID(self.invoice.number),
            RAM.TypeCode(TYPE_CREDIT_NOTE if self.invoice.type == "out_refund" else TYPE_INVOICE),
            RAM.IssueDateTime(UDT.DateTimeString(cii_date(self.invoice.date_invoice), format="102")),
            *[RAM.IncludedNote(RAM.Content(text), RAM.SubjectCode(code))
              for code, text in self._notes()]
        )

    def _notes(self):
        """The payment mentions French law puts on an invoice, with their
        UNTDID 4451 subject codes."""
        company = self.invoice.company_id
        notes = [
            ("AAB", "Pas d'escompte pour paiement anticipé."),
            ("PMD", "En cas de retard de paiement, des pénalités sont exigibles dès le "
                    "lendemain de la date d'échéance, au taux annuel de %.2f %%."
             % company.webo_late_penalty_rate),
        ]
        if self.invoice._webo_is_business_client():
            notes.append(("PMT", "Indemnité forfaitaire pour frais de recouvrement en cas de "
                                 "retard de paiement : 40 €."))
        return notes

    # The lines (BG-25)

    def _lines(self):
        return [self._line(index, line)
                for index, line in enumerate(self.invoice.invoice_line_ids, 1)]

    def _line(self, index, line):
        category, rate, _reason = self.vat_category(line)
        quantity = line.quantity or 1.0
        return RAM.IncludedSupplyChainTradeLineItem(
            RAM.AssociatedDocumentLineDocument(RAM.LineID(str(index))),
            RAM.SpecifiedTradeProduct(RAM.Name(line.name or "-")),
            RAM.SpecifiedLineTradeAgreement(RAM.NetPriceProductTradePrice(
                RAM.ChargeAmount(self._price(line.price_subtotal / quantity)))),
            RAM.SpecifiedLineTradeDelivery(
                RAM.BilledQuantity(self._quantity(line.quantity), unitCode="C62")),
            RAM.SpecifiedLineTradeSettlement(
                RAM.ApplicableTradeTax(
                    RAM.TypeCode("VAT"), RAM.CategoryCode(category),
                    RAM.RateApplicablePercent(self._percent(rate))),
                RAM.SpecifiedTradeSettlementLineMonetarySummation(
                    RAM.LineTotalAmount(self._amount(line.price_subtotal)))),
        )

    def vat_category(self, line):
        """(UNTDID 5305 category, rate, exemption reason) of a line's VAT:
        standard rate, zero rate, or exempt (the VAT franchise)."""
        taxes = line.invoice_line_tax_ids
        if len(taxes) > 1:
            raise UserError(_(
                "The line \"%(line)s\" has several taxes: an electronic invoice allows one "
                "VAT rate per line. Split it into one line per rate."
            ) % {"line": line.name})
        if not taxes or taxes.amount_type != "percent":
            if self.invoice.company_id.webo_vat_regime == "franchise":
                return "E", 0.0, (FRANCHISE_REASON, FRANCHISE_REASON_CODE)
            return "E", 0.0, (EXEMPTION_REASON, None)
        if self.invoice.currency_id.is_zero(taxes.amount):
            return "Z", 0.0, None
        return "S", taxes.amount, None

    # The parties (BG-4 seller, BG-7 buyer)

    def _agreement(self):
        company = self.invoice.company_id
        seller = company.partner_id
        return RAM.ApplicableHeaderTradeAgreement(
            self._party(
                RAM.SellerTradeParty, company.name, company.siret or seller.siret,
                company.vat or seller.vat, seller, company.email or seller.email,
                company.country_id, legal_info=company.company_registry),
            self._party(
                RAM.BuyerTradeParty, self.invoice.commercial_partner_id.name,
                self.invoice.commercial_partner_id.siret, self.invoice.commercial_partner_id.vat,
                self.invoice.commercial_partner_id, self.invoice.webo_billing_partner_id.email,
                company.country_id),
        )

    def _party(self, tag, name, siret, vat, address, email, default_country,
                        legal_info=None):
        siret = "".join((siret or "").split())
        children = []
        if siret:
            children.append(RAM.GlobalID(siret, schemeID=SCHEME_SIRET))
        children.append(RAM.Name(name))
        if legal_info:
            children.append(RAM.Description(legal_info))
        if siret:
            children.append(RAM.SpecifiedLegalOrganization(RAM.ID(siret[:9], schemeID=SCHEME_SIREN)))
        country = address.country_id or default_country
        postal = [RAM.PostcodeCode(address.zip)] if address.zip else []
        postal += [RAM.LineOne(address.street)] if address.street else []
        postal += [RAM.LineTwo(address.street2)] if address.street2 else []
        postal += [RAM.CityName(address.city)] if address.city else []
        postal.append(RAM.CountryID((country.code or "FR").upper()))
        children.append(RAM.PostalTradeAddress(*postal))
        if email:
            children.append(RAM.URIUniversalCommunication(RAM.URIID(email, schemeID="EM")))
        if vat:
            children.append(RAM.SpecifiedTaxRegistration(RAM.ID(vat, schemeID="VA")))
        return tag(*children)

    # The settlement: payment, VAT breakdown (BG-23), totals (BG-22)

    def _settlement(self):
        children = [
            RAM.PaymentReference(self.invoice.number),
            RAM.InvoiceCurrencyCode(self.invoice.currency_id.name),
        ]
        bank = self.invoice._webo_receiving_bank_account()
        iban = bank.sanitized_acc_number if bank and bank.acc_type == "iban" else None
        # Without a known IBAN the payment means (optional in EN 16931) is
        # left out: a credit transfer without an account would be invalid.
        if iban and self.invoice.type == "out_invoice":
            children.append(RAM.SpecifiedTradeSettlementPaymentMeans(
                RAM.TypeCode(PAYMENT_MEANS_SEPA_TRANSFER),
                RAM.Information("Virement SEPA"),
                RAM.PayeePartyCreditorFinancialAccount(RAM.IBANID(iban))))
        children += [self._tax(*entry) for entry in self.vat_breakdown()]
        children.append(self._payment_terms())
        children.append(RAM.SpecifiedTradeSettlementHeaderMonetarySummation(
            RAM.LineTotalAmount(self._amount(self.invoice.amount_untaxed)),
            RAM.TaxBasisTotalAmount(self._amount(self.invoice.amount_untaxed)),
            RAM.TaxTotalAmount(self._amount(self.invoice.amount_tax),
                               currencyID=self.invoice.currency_id.name),
            RAM.GrandTotalAmount(self._amount(self.invoice.amount_total)),
            RAM.DuePayableAmount(self._amount(self.invoice.amount_total)),
        ))
        origin = self.invoice.refund_invoice_id
        if self.invoice.type == "out_refund" and origin.number:
            children.append(RAM.InvoiceReferencedDocument(
                RAM.IssuerAssignedID(origin.number),
                RAM.FormattedIssueDateTime(QDT.DateTimeString(
                    cii_date(origin.date_invoice), format="102"))))
        return RAM.ApplicableHeaderTradeSettlement(*children)

    def vat_breakdown(self):
        """[(category, rate, base, VAT amount, reason)] one per VAT rate:
        the base sums the lines, the amount is Odoo's tax lines."""
        breakdown = {}
        for line in self.invoice.invoice_line_ids:
            category, rate, reason = self.vat_category(line)
            entry = breakdown.setdefault((category, rate), [0.0, 0.0, reason])
            entry[0] += line.price_subtotal
        for tax_line in self.invoice.tax_line_ids:
            rate = tax_line.tax_id.amount
            category = "Z" if self.invoice.currency_id.is_zero(rate) else "S"
            entry = breakdown.setdefault((category, rate), [0.0, 0.0, None])
            entry[1] += tax_line.amount_total
        return [(category, rate, base, amount, reason)
                for (category, rate), (base, amount, reason) in sorted(breakdown.items())]

    def _tax(self, category, rate, base, amount, reason):
        children = [RAM.CalculatedAmount(self._amount(amount)), RAM.TypeCode("VAT")]
        if reason:
            children.append(RAM.ExemptionReason(reason[0]))
        children += [RAM.BasisAmount(self._amount(base)), RAM.CategoryCode(category)]
        if reason and reason[1]:
            children.append(RAM.ExemptionReasonCode(reason[1]))
        children.append(RAM.RateApplicablePercent(self._percent(rate)))
        return RAM.ApplicableTradeTax(*children)

    def _payment_terms(self):
        if self.invoice.type == "out_refund":
            origin = self.invoice.refund_invoice_id.number
            terms = ("Avoir sur la facture %s, à imputer sur son règlement." % origin
                     if origin else "Avoir, à imputer sur les règlements à venir.")
            return RAM.SpecifiedTradePaymentTerms(RAM.Description(terms))
        children = [RAM.Description(self._payment_terms_text())]
        if self.invoice.date_due:
            children.append(RAM.DueDateDateTime(
                UDT.DateTimeString(cii_date(self.invoice.date_due), format="102")))
        return RAM.SpecifiedTradePaymentTerms(*children)

    def _payment_terms_text(self):
        if self.invoice.payment_term_id:
            return self.invoice.payment_term_id.with_context(lang="fr_FR").name
        if self.invoice.date_due:
            return "Paiement au plus tard le %s." % (
                fields.Date.from_string(self.invoice.date_due).strftime("%d/%m/%Y"))
        return "Paiement à réception."

    # Number formats

    def _amount(self, value):
        digits = self.invoice.currency_id.decimal_places
        return "%.*f" % (digits, self.invoice.currency_id.round(value))

    @staticmethod
    def _price(value):
        return "%.4f" % round(value, 4)

    @staticmethod
    def _quantity(value):
        return "%.4f" % round(value, 4)

    @staticmethod
    def _percent(value):
        return "%.2f" % round(value, 2)
