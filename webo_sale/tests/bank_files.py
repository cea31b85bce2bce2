"""Bank statement files as French banks export them, made for the tests
and the benchmark: CAMT.053 (ISO 20022, camt.053.001.02) and OFX 1 (SGML).
Plain Python (no Odoo): the system tests and the benchmark load this file
by its path."""
from xml.sax.saxutils import escape

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt053(iban, entries, currency="EUR", statement_id="STMT-2026-03", opening=0.0,
            bic="PSSTFRPPLYO", entry_currency=None):
    """A CAMT.053 file (bytes) of the account ``iban``. ``entries``: dicts
    with ``amount`` (positive: credit, negative: debit), ``date``
    (YYYY-MM-DD), and optionally ``text`` (the remittance information),
    ``name`` (the payer's or payee's name), ``iban`` (theirs), ``ref``
    (the bank's reference of the entry), ``end_to_end``."""
    rows = []
    closing = opening
    for index, entry in enumerate(entries, start=1):
        amount = entry["amount"]
        closing += amount
        credit = amount > 0
        party = "Dbtr" if credit else "Cdtr"
        details = []
        if entry.get("end_to_end"):
            details.append("<Refs><EndToEndId>%s</EndToEndId></Refs>" % escape(entry["end_to_end"]))
        parties = ""
        if entry.get("name"):
            parties += "<%s><Nm>%s</Nm></%s>" % (party, escape(entry["name"]), party)
        if entry.get("iban"):
            parties += "<%sAcct><Id><IBAN>%s</IBAN></Id></%sAcct>" % (party, entry["iban"], party)
        if parties:
            details.append("<RltdPties>%s</RltdPties>" % parties)
        if entry.get("text"):
            details.append("<RmtInf><Ustrd>%s</Ustrd></RmtInf>" % escape(entry["text"]))
        rows.append("""
      <Ntry>
        <NtryRef>%(index)d</NtryRef>
        <Amt Ccy="%(ccy)s">%(amount).2f</Amt>
        <CdtDbtInd>%(sign)s</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><Dt>%(date)s</Dt></BookgDt>
        <ValDt><Dt>%(date)s</Dt></ValDt>
        <AcctSvcrRef>%(ref)s</AcctSvcrRef>
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>%(details)s</TxDtls></NtryDtls>
      </Ntry>""" % {
            "index": index, "ccy": entry_currency or currency, "amount": abs(amount),
            "sign": "CRDT" if credit else "DBIT", "date": entry["date"],
            "ref": escape(entry.get("ref") or "%s-%05d" % (statement_id, index)),
            "details": "".join(details)})
    last_date = max([entry["date"] for entry in entries] or ["2026-03-31"])

    def balance(code, amount):
        return """
      <Bal>
        <Tp><CdOrPrtry><Cd>%s</Cd></CdOrPrtry></Tp>
        <Amt Ccy="%s">%.2f</Amt>
        <CdtDbtInd>%s</CdtDbtInd>
        <Dt><Dt>%s</Dt></Dt>
      </Bal>""" % (code, currency, abs(amount), "CRDT" if amount >= 0 else "DBIT", last_date)

    return ("""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="%(ns)s">
  <BkToCstmrStmt>
    <GrpHdr>
      <MsgId>%(id)s</MsgId>
      <CreDtTm>%(date)sT08:00:00</CreDtTm>
    </GrpHdr>
    <Stmt>
      <Id>%(id)s</Id>
      <CreDtTm>%(date)sT08:00:00</CreDtTm>
      <Acct>
        <Id><IBAN>%(iban)s</IBAN></Id>
        <Ccy>%(ccy)s</Ccy>
        <Svcr><FinInstnId><BIC>%(bic)s</BIC></FinInstnId></Svcr>
      </Acct>%(opening)s%(closing)s%(rows)s
    </Stmt>
  </BkToCstmrStmt>
</Document>
""" % {"ns": CAMT_NS, "id": escape(statement_id), "date": last_date, "iban": iban.replace(" ", ""),
       "ccy": currency, "bic": bic, "opening": balance("OPBD", opening),
       "closing": balance("CLBD", closing), "rows": "".join(rows)}).encode()


def ofx(account, entries, currency="EUR", bank_id="20041", branch_id="01005"):
    """An OFX 1.0.2 (SGML) file of the account number ``account`` (a French
    bank gives the national account number, not the IBAN). ``entries`` as
    for ``camt053``; ``ref`` becomes the transaction's FITID."""
    rows = []
    balance = 0.0
    for index, entry in enumerate(entries, start=1):
        balance += entry["amount"]
        rows.append("""<STMTTRN>
<TRNTYPE>%(kind)s
<DTPOSTED>%(date)s
<TRNAMT>%(amount).2f
<FITID>%(fitid)s
<NAME>%(name)s
<MEMO>%(memo)s
</STMTTRN>""" % {"kind": "CREDIT" if entry["amount"] > 0 else "DEBIT",
                 "date": entry["date"].replace("-", ""), "amount": entry["amount"],
                 "fitid": entry.get("ref") or "FIT%06d" % index,
                 "name": escape(entry.get("name") or "VIR SEPA"), "memo": escape(entry.get("text") or "")})
    last = max([entry["date"] for entry in entries] or ["2026-03-31"]).replace("-", "")
    return ("""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX>
<SIGNONMSGSRSV1>
<SONRS>
<STATUS>
<CODE>0
<SEVERITY>INFO
</STATUS>
<DTSERVER>%(last)s
<LANGUAGE>FRA
</SONRS>
</SIGNONMSGSRSV1>
<BANKMSGSRSV1>
<STMTTRNRS>
<TRNUID>1
<STATUS>
<CODE>0
<SEVERITY>INFO
</STATUS>
<STMTRS>
<CURDEF>%(ccy)s
<BANKACCTFROM>
<BANKID>%(bank)s
<BRANCHID>%(branch)s
<ACCTID>%(account)s
<ACCTTYPE>CHECKING
</BANKACCTFROM>
<BANKTRANLIST>
<DTSTART>%(last)s
<DTEND>%(last)s
%(rows)s
</BANKTRANLIST>
<LEDGERBAL>
<BALAMT>%(balance).2f
<DTASOF>%(last)s
</LEDGERBAL>
</STMTRS>
</STMTTRNRS>
</BANKMSGSRSV1>
</OFX>
""" % {"last": last, "ccy": currency, "bank": bank_id, "branch": branch_id, "account": account,
       "rows": "\n".join(rows), "balance": balance}).replace("\n", "\r\n").encode("ascii", "replace")
