"""The parsers of bank statement files: OCA's CAMT.053 and OFX parsers
(account_bank_statement_import_camt_oca, account_bank_statement_import_ofx),
behind webo's checks.

OCA's CAMT parser reads with lxml's default parser in recovery mode: a
truncated file would give the lines before the cut, without a word, and a
DTD would be read. So a file reaches the parsers only once webo's one safe
XML parser (``tools/safe_xml.py``) has read it whole: no DTD, no entity,
well-formed to its last tag. An OFX file is SGML (OFX 1) or XML (OFX 2):
the XML one goes through the same parser, the SGML one must declare
nothing and end with its closing tag.
"""
import re

from odoo import _, api, models
from odoo.exceptions import UserError

from ..tools import UntrustedXmlError, parse_untrusted_xml

# A month of a small business's bank account is some hundred kilobytes.
MAX_STATEMENT_SIZE = 10 * 1024 * 1024
CAMT_NAMESPACE = re.compile(r"\Aurn:iso:std:iso:20022:tech:xsd:camt\.05[234]\.")


def statement_format(data):
    """"camt", "ofx" or None, from the file's first bytes."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head.upper() or b"<?OFX" in head.upper():
        return "ofx"
    if head.startswith(b"<") and b"camt.05" in data[:8192]:
        return "camt"
    return None


class AccountBankStatementImport(models.TransientModel):
    _inherit = "account.bank.statement.import"

    @api.model
    def _webo_parse(self, data, filename):
        """(format, {"currencies", "accounts"} the file states, OCA's parse:
        currency code, account number, statements), or a French refusal."""
        kind = statement_format(data)
        if not kind:
            raise UserError(_(
                "%(file)s is neither a CAMT.053 (ISO 20022 XML) nor an OFX bank statement: "
                "download your statement from your bank in one of these formats."
            ) % {"file": filename})
        stated = self._webo_check_camt(data, filename) if kind == "camt" else \
            self._webo_check_ofx(data, filename)
        try:
            if kind == "camt":
                parsed = self.env["account.bank.statement.import.camt.parser"].parse(data)
            else:
                # OCA's OFX parser, through the parsers' chain (CAMT's, tried
                # first, gives way to it).
                parsed = self._parse_file(data)
        except (UserError, ValueError, IndexError, KeyError, TypeError, AttributeError):
            # The parsers' ways of saying a well-formed file is not the
            # statement they expect (an element missing, say).
            parsed = None
        if not parsed or not parsed[2]:
            raise UserError(_("%(file)s could not be read as a bank statement: check that it is "
                              "the complete file your bank gave you.") % {"file": filename})
        return kind, stated, parsed

    def _webo_read_xml(self, data, filename):
        try:
            return parse_untrusted_xml(data, max_size=MAX_STATEMENT_SIZE)
        except UntrustedXmlError as error:
            if error.reason == "dtd":
                raise UserError(_(
                    "%(file)s declares a DTD or entities, which a bank statement never does: "
                    "it is refused. Download the statement from your bank again."
                ) % {"file": filename}) from None
            if error.reason == "size":
                raise UserError(_("%(file)s is larger than the %(limit)s MB a bank statement may be.")
                                % {"file": filename, "limit": MAX_STATEMENT_SIZE // 1048576}) from None
            raise UserError(_(
                "%(file)s is not a complete XML file (truncated, or damaged): download the "
                "statement from your bank again."
            ) % {"file": filename}) from None

    def _webo_check_camt(self, data, filename):
        root = self._webo_read_xml(data, filename)
        namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
        if not CAMT_NAMESPACE.match(namespace):
            raise UserError(_("%(file)s is an XML file but not a CAMT bank statement (ISO 20022 "
                              "camt.053).") % {"file": filename})
        ns = {"ns": namespace}
        accounts = {value.strip().replace(" ", "").upper() for value in root.xpath(
            "//ns:Stmt/ns:Acct/ns:Id/ns:IBAN/text() | //ns:Stmt/ns:Acct/ns:Id/ns:Othr/ns:Id/text()"
            " | //ns:Rpt/ns:Acct/ns:Id/ns:IBAN/text() | //ns:Ntfctn/ns:Acct/ns:Id/ns:IBAN/text()",
            namespaces=ns)}
        currencies = {value.strip().upper() for value in root.xpath(
            "//ns:Acct/ns:Ccy/text() | //ns:Ntry/ns:Amt/@Ccy", namespaces=ns)}
        return {"accounts": accounts, "currencies": currencies}

    def _webo_check_ofx(self, data, filename):
        text = data.decode("latin-1")
        if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
            raise UserError(_(
                "%(file)s declares a DTD or entities, which a bank statement never does: "
                "it is refused. Download the statement from your bank again."
            ) % {"file": filename})
        body = text[text.upper().find("<OFX>"):] if "<OFX>" in text.upper() else text
        if text.lstrip("\ufeff \t\r\n").startswith("<?xml"):
            self._webo_read_xml(data, filename)
        elif not body.rstrip().upper().endswith("</OFX>"):
            raise UserError(_(
                "%(file)s is not a complete OFX file (it does not end with </OFX>): it was cut "
                "short. Download the statement from your bank again."
            ) % {"file": filename})
        currencies = {value.upper() for value in re.findall(r"<CURDEF>\s*([A-Za-z]{3})", text)}
        accounts = {value.strip().replace(" ", "").upper()
                    for value in re.findall(r"<ACCTID>\s*([^<\r\n]+)", text)}
        return {"accounts": accounts, "currencies": currencies}


class CamtParser(models.AbstractModel):
    _inherit = "account.bank.statement.import.camt.parser"

    def parse_entry(self, ns, node):
        """Each transaction gets the bank's own unique reference of its
        entry (AcctSvcrRef) as its import id, numbered within the entry: a
        line imported twice is recognised. (Without it, the import names
        the line by its content.)"""
        references = [ref.strip() for ref in node.xpath("./ns:AcctSvcrRef/text()", namespaces={"ns": ns})
                      if ref.strip()]
        for index, transaction in enumerate(super().parse_entry(ns, node)):
            if references:
                transaction["unique_import_id"] = "%s-%d" % (references[0], index)
            yield transaction

    def parse_transaction_details(self, ns, node, transaction):
        """The remittance information as the client typed it, unstructured
        and structured (OCA's parser keeps only the first it finds)."""
        result = super().parse_transaction_details(ns, node, transaction)
        structured = node.xpath("./ns:RmtInf/ns:Strd/ns:CdtrRefInf/ns:Ref/text()", namespaces={"ns": ns})
        unstructured = node.xpath("./ns:RmtInf/ns:Ustrd/text()", namespaces={"ns": ns})
        transaction["webo_remittance"] = " ".join(
            part.strip() for part in unstructured + structured if part and part.strip())
        return result
