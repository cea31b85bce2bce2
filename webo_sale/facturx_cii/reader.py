"""Reading a supplier's Factur-X XML: the values a vendor bill needs."""
import datetime

from .writer import NSMAP, SCHEME_SIREN, SCHEME_SIRET

BILL_TYPES = {"380": "in_invoice", "381": "in_refund", "384": "in_invoice", "389": "in_invoice"}
# The MINIMUM profile carries totals only, no VAT rate: not enough for a bill.
IMPORTABLE_LEVELS = ("basicwl", "basic", "en16931", "extended")
# VAT categories (UNTDID 5305) that put VAT on the bill.
TAXED_CATEGORIES = ("S", "Z", "L", "M")


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
            "email": (self.text("ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']", node)
                      or self.text("ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID",
                                   node)),
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

    def invoice_values(self):
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
