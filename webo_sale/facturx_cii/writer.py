"""The Factur-X XML of an issued invoice or credit note.

A UN/CEFACT Cross Industry Invoice at the EN 16931 profile of Factur-X,
checked against the official schema and the official rules: the EN 16931
schematron and the French reform's BR-FR rules (see rules.py)."""
import datetime

from lxml import etree
from lxml.builder import ElementMaker

from odoo import _, fields
from odoo.exceptions import UserError

from .rules import check_facturx

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
# BT-23, the billing framework of the French reform (XP Z12-012): S1, an
# invoice of services deposited for payment (a credit note takes its
# invoice's framework).
BILLING_FRAMEWORK_SERVICES = "S1"
FACTURX_LEVEL = "en16931"
TYPE_INVOICE = "380"
TYPE_CREDIT_NOTE = "381"
# ISO 6523 identifier schemes used in France: SIREN (legal registration),
# SIRET (establishment).
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"
# ISO 6523 0225: the French directory's electronic address (its base form,
# the SIREN); EAS "EM": an email address.
SCHEME_FR_ADDRESS = "0225"
SCHEME_EMAIL = "EM"
# BT-31 (VAT identifier) and BT-32 (tax registration identifier) schemes.
SCHEME_VAT = "VA"
SCHEME_TAX_REGISTRATION = "FC"
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
        """The XML as bytes; refused (UserError) unless it passes the
        official rules: schema, EN 16931 schematron, BR-FR."""
        xml = self.unchecked_xml()
        failures = check_facturx(xml)
        if failures:
            raise UserError(self.invoice._webo_facturx_refusal(failures))
        return xml

    def unchecked_xml(self):
        """The XML as bytes, as it is made, before any check."""
        root = RSM.CrossIndustryInvoice(
            RSM.ExchangedDocumentContext(
                RAM.BusinessProcessSpecifiedDocumentContextParameter(
                    RAM.ID(BILLING_FRAMEWORK_SERVICES)),
                RAM.GuidelineSpecifiedDocumentContextParameter(RAM.ID(EN16931_GUIDELINE))),
            self._document(),
            RSM.SupplyChainTradeTransaction(
                *self._lines(),
                self._agreement(),
                self._delivery(),
                self._settlement(),
            ),
        )
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def pdf_metadata(self):
        """Title, subject... of the PDF/A-3, in French."""
        invoice = self.invoice
        kind = "Avoir" if invoice.type == "out_refund" else "Facture"
        seller = invoice.company_id.webo_legal_name
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
        UNTDID 4451 subject codes (BR-FR-05 wants all three), and the
        reform's processing code (BAR) when the client's kind is known."""
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
        else:
            notes.append(("PMT", "Indemnité forfaitaire pour frais de recouvrement : non "
                                 "applicable, le client n'agissant pas en tant que professionnel."))
        treatment = self.buyer_treatment()
        if treatment:
            notes.append(("BAR", treatment))
        return notes

    def buyer_treatment(self):
        """The reform's processing of the invoice (BAR note, XP Z12-012):
        B2B for a French business client whose SIREN is known, B2BINT for a
        business abroad, B2C / B2CINT for a private client; none for a
        French business whose SIREN is unknown."""
        client = self.invoice.commercial_partner_id
        abroad = self._country(client).code != "FR"
        business = self.invoice._webo_is_business_client()
        if abroad:
            return "B2BINT" if business else "B2CINT"
        if self.siren(client.siret, client.vat):
            return "B2B"
        return None if business else "B2C"

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
        client = self.invoice.commercial_partner_id
        billing = self.invoice.webo_billing_partner_id
        return RAM.ApplicableHeaderTradeAgreement(
            self._party(
                RAM.SellerTradeParty, company.webo_legal_name, company.siret or seller.siret,
                company.vat or seller.vat, seller, company.email or seller.email,
                legal_info=self._seller_legal_info(), tax_registration=self._tax_registration()),
            self._party(
                RAM.BuyerTradeParty, client.name, client.siret, client.vat, client, billing.email,
                contact_name=billing.name if billing != client else None,
                routed=self.buyer_treatment() == "B2B"),
        )

    def _seller_legal_info(self):
        """BT-33: the legal form (and share capital) and the trade register."""
        company = self.invoice.company_id.with_context(lang="fr_FR")
        parts = [company._webo_legal_mention(), company.company_registry]
        return " – ".join(part for part in parts if part) or None

    def _tax_registration(self):
        """BT-32 for a seller without a VAT number (the VAT franchise):
        its SIREN, under which the French tax administration knows it,
        with the scheme "FC" (tax registration). EN 16931 wants BT-31 or
        BT-32 on a VAT-exempt invoice (BR-E-02)."""
        company = self.invoice.company_id
        if company.vat or company.partner_id.vat:
            return None
        return self.siren(company.siret or company.partner_id.siret, None)

    @staticmethod
    def siren(siret, vat):
        """The SIREN of a French business: its SIRET's first nine digits,
        else the last nine of its French VAT number."""
        siret = "".join((siret or "").split())
        if len(siret) == 14 and siret.isdigit():
            return siret[:9]
        vat = "".join((vat or "").split()).upper()
        if len(vat) == 13 and vat.startswith("FR") and vat[4:].isdigit():
            return vat[4:]
        return None

    def _country(self, partner):
        return partner.country_id or self.invoice.company_id.country_id

    def _party(self, tag, name, siret, vat, address, email, legal_info=None,
               tax_registration=None, contact_name=None, routed=True):
        """A seller or buyer (BG-4, BG-7): SIRET (BT-29/46), name, legal
        information, SIREN (BT-30/47), contact email (BT-43/58), address,
        electronic address (BT-34/49: the French directory's SIREN when
        ``routed``, else the email), VAT number (BT-31/48) and tax
        registration (BT-32)."""
        siret = "".join((siret or "").split())
        if not (len(siret) == 14 and siret.isdigit()):
            siret = ""
        siren = self.siren(siret, vat)
        children = []
        if siret:
            children.append(RAM.GlobalID(siret, schemeID=SCHEME_SIRET))
        children.append(RAM.Name(name))
        if legal_info:
            children.append(RAM.Description(legal_info))
        if siren:
            children.append(RAM.SpecifiedLegalOrganization(RAM.ID(siren, schemeID=SCHEME_SIREN)))
        if email:
            contact = [RAM.PersonName(contact_name)] if contact_name else []
            contact.append(RAM.EmailURIUniversalCommunication(RAM.URIID(email)))
            children.append(RAM.DefinedTradeContact(*contact))
        country = self._country(address)
        postal = [RAM.PostcodeCode(address.zip)] if address.zip else []
        postal += [RAM.LineOne(address.street)] if address.street else []
        postal += [RAM.LineTwo(address.street2)] if address.street2 else []
        postal += [RAM.CityName(address.city)] if address.city else []
        postal.append(RAM.CountryID((country.code or "FR").upper()))
        children.append(RAM.PostalTradeAddress(*postal))
        if siren and routed:
            children.append(RAM.URIUniversalCommunication(RAM.URIID(siren, schemeID=SCHEME_FR_ADDRESS)))
        elif email:
            children.append(RAM.URIUniversalCommunication(RAM.URIID(email, schemeID=SCHEME_EMAIL)))
        if vat:
            children.append(RAM.SpecifiedTaxRegistration(RAM.ID(vat, schemeID=SCHEME_VAT)))
        if tax_registration:
            children.append(RAM.SpecifiedTaxRegistration(
                RAM.ID(tax_registration, schemeID=SCHEME_TAX_REGISTRATION)))
        return tag(*children)

    # The delivery (BT-72): the service is deemed rendered on the invoice's
    # date, the only date the product holds for it.

    def _delivery(self):
        return RAM.ApplicableHeaderTradeDelivery(RAM.ActualDeliverySupplyChainEvent(
            RAM.OccurrenceDateTime(UDT.DateTimeString(
                cii_date(self.invoice.date_invoice), format="102"))))

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
        period = self._billing_period()
        if period is not None:
            children.append(period)
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

    def _billing_period(self):
        """BG-14: the month a subscription's invoice bills."""
        subscription = self.invoice.webo_subscription_id
        period = self.invoice.webo_subscription_period
        if not subscription or not period:
            return None
        start = subscription._period_date(period)
        end = subscription._period_date(period + 1) - datetime.timedelta(days=1)
        return RAM.BillingSpecifiedPeriod(
            RAM.StartDateTime(UDT.DateTimeString(start.strftime("%Y%m%d"), format="102")),
            RAM.EndDateTime(UDT.DateTimeString(end.strftime("%Y%m%d"), format="102")))

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
