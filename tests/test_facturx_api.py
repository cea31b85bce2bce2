"""Factur-X over XML-RPC, from a separate process: fetch the Factur-X PDF of
an invoice (the very PDF the client received by email, its XML read back
with the factur-x library), and import a supplier's Factur-X PDF as a
vendor bill, with the refusals (another workspace's invoice, files that are
not Factur-X, an invoice imported twice).

The supplier is a workspace subject to VAT (the ``studio`` fixture: the
demo's julien has not opened his sales service), invoicing claire's
(Atelier Claire Martin) as one of its clients. Each test archives the
partners it made and deletes the draft bills it imported."""
import base64
import datetime
import io
import json
import subprocess
import sys
import uuid
import xmlrpc.client
from pathlib import Path

import facturx
import pytest
from lxml import etree
from pypdf import PdfWriter

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
CLAIRE_SIRET = "90830166600016"  # Atelier Claire Martin (demo data)
ACCESS_ERROR = 4  # odoo.service.wsgi_server: the fault code of an AccessError
LINES = [{"name": "Maquettes", "quantity": 3, "price_unit": 33.33},
         {"name": "Intégration", "quantity": 1, "price_unit": 450.0}]


RULES_CHECK = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("webo_facturx_rules", sys.argv[1])
rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rules)
print(json.dumps([list(failure) for failure in rules.check_facturx(sys.stdin.buffer.read())]))
"""


def official_rules(xml):
    """The rules ``xml`` fails, by the addon's check (rules.py: the factur-x
    library and Saxon, no Odoo), run in a process of its own: Saxon's
    runtime stays out of the test process."""
    path = Path(__file__).resolve().parents[1] / "webo_sale" / "facturx_cii" / "rules.py"
    result = subprocess.run([sys.executable, "-c", RULES_CHECK, str(path)], input=xml,
                            capture_output=True, check=True)
    return json.loads(result.stdout)


def xml_text(root, path):
    (node,) = root.xpath(path, namespaces=NS)
    return node.text


@pytest.fixture(scope="module")
def supplier(studio, admin):
    """The supplier's session and its company's {name, siret, vat}."""
    session, company = studio
    (identity,) = admin.execute("res.company", "read", [company], ["name", "siret", "vat"])
    return session, identity


@pytest.fixture()
def supplier_client(supplier, claire, outbox):
    """``supplier_client(**values)``: a new client of the supplier's
    workspace with a billing contact; archived at the end, with the
    suppliers and bills the test made in claire's workspace."""
    studio, _identity = supplier
    created = []
    bills_before = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice")]))
    suppliers_before = set(claire.execute("res.partner", "search", [("supplier", "=", True)],
                                          context={"active_test": False}))

    def create(**values):
        tag = uuid.uuid4().hex[:10]
        address = "compta-%s@example.org" % tag
        vals = {"name": "Client Factur-X %s" % tag, "is_company": True, "customer": True,
                "child_ids": [(0, 0, {"type": "invoice", "name": "Comptabilité", "email": address})]}
        vals.update(values)
        created.append(studio.execute("res.partner", "create", vals))
        return created[-1], address

    yield create
    outbox.collect()
    bills = set(claire.execute("account.invoice", "search", [("type", "=", "in_invoice")]))
    if bills - bills_before:
        claire.execute("account.invoice", "unlink", sorted(bills - bills_before))
    suppliers = set(claire.execute("res.partner", "search", [("supplier", "=", True)],
                                   context={"active_test": False}))
    if suppliers - suppliers_before:
        claire.execute("res.partner", "write", sorted(suppliers - suppliers_before), {"active": False})
    if created:
        family = studio.execute("res.partner", "search", [("id", "child_of", created)],
                                context={"active_test": False})
        studio.execute("res.partner", "write", family, {"active": False})


def send_invoice(session, client):
    today = datetime.date.today()
    wizard = session.execute("webo.invoice.wizard", "create", {
        "name": "Site vitrine", "partner_id": client, "date_invoice": today.isoformat(),
        "date_due": (today + datetime.timedelta(days=30)).isoformat(),
        "line_ids": [(0, 0, dict(line)) for line in LINES]})
    return session.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]


def facturx_pdf(session, invoice):
    return base64.b64decode(session.execute("account.invoice", "webo_facturx_pdf", [invoice]))


def import_facturx(session, pdf, filename="facture.pdf"):
    return session.execute("account.invoice", "webo_import_facturx",
                           base64.b64encode(pdf).decode("ascii"), filename)


def claire_state(claire):
    """What a refused import must leave untouched in claire's workspace."""
    return (claire.execute("account.invoice", "search_count", []),
            claire.execute("res.partner", "search_count", [], context={"active_test": False}),
            claire.execute("ir.attachment", "search_count", [("res_model", "=", "account.invoice")]))


def test_facturx_pdf_is_the_emailed_pdf_and_its_xml_is_the_invoice(supplier, supplier_client, outbox):
    studio, identity = supplier
    client, address = supplier_client(siret="73282932000074", vat="FR44732829320")
    invoice = send_invoice(studio, client)
    (record,) = studio.execute("account.invoice", "read", [invoice],
                               ["number", "amount_untaxed", "amount_tax", "amount_total", "date_due"])
    pdf = facturx_pdf(studio, invoice)
    (mail,) = [mail for mail in outbox.collect() if address in mail.recipients]
    (attachment,) = mail.attachments
    assert attachment[1] == pdf, "the client received another PDF than the Factur-X one"

    filename, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert filename == "factur-x.xml"
    root = etree.fromstring(xml)
    assert facturx.get_level(root) == "en16931"
    assert xml_text(root, "//rsm:ExchangedDocument/ram:ID") == record["number"]
    assert xml_text(root, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert float(xml_text(root, "//ram:TaxBasisTotalAmount")) == pytest.approx(record["amount_untaxed"])
    assert float(xml_text(root, "//ram:TaxTotalAmount")) == pytest.approx(record["amount_tax"])
    assert float(xml_text(root, "//ram:GrandTotalAmount")) == pytest.approx(record["amount_total"])
    assert xml_text(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/"
                          "ram:RateApplicablePercent") == "20.00"
    assert xml_text(root, "//ram:SellerTradeParty/ram:GlobalID") == identity["siret"]
    assert xml_text(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == identity["vat"]
    assert xml_text(root, "//ram:BuyerTradeParty/ram:GlobalID") == "73282932000074"
    assert xml_text(root, "//ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == "FR44732829320"
    assert xml_text(root, "//ram:DueDateDateTime/udt:DateTimeString") == record["date_due"].replace("-", "")


def test_claire_imports_the_supplier_invoice_once(supplier, claire, supplier_client):
    studio, identity = supplier
    client, _ = supplier_client(name="Atelier Claire Martin", siret=CLAIRE_SIRET)
    invoice = send_invoice(studio, client)
    (sent,) = studio.execute("account.invoice", "read", [invoice], ["number", "amount_total"])
    pdf = facturx_pdf(studio, invoice)

    bill = import_facturx(claire, pdf, "facture-studio-pixel.pdf")
    (record,) = claire.execute("account.invoice", "read", [bill],
                               ["type", "state", "reference", "amount_total", "partner_id", "company_id"])
    (user,) = claire.execute("res.users", "read", [claire.uid], ["company_id"])
    assert (record["type"], record["state"], record["reference"]) == ("in_invoice", "draft", sent["number"])
    assert record["amount_total"] == pytest.approx(sent["amount_total"])
    assert record["company_id"] == user["company_id"]
    (partner,) = claire.execute("res.partner", "read", [record["partner_id"][0]], ["name", "siret", "vat"])
    assert (partner["name"], partner["siret"], partner["vat"]) == (
        identity["name"], identity["siret"], identity["vat"])
    # the supplier sees neither the bill nor its partner made in claire's workspace
    with pytest.raises(xmlrpc.client.Fault) as refused:
        studio.execute("account.invoice", "read", [bill], ["reference"])
    assert refused.value.faultCode == ACCESS_ERROR

    before = claire_state(claire)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        import_facturx(claire, pdf)
    assert "La facture %s de %s est déjà enregistrée" % (sent["number"], identity["name"]) \
        in refused.value.faultString
    assert claire_state(claire) == before


def test_designer_cannot_fetch_another_workspace_facturx(supplier, claire, supplier_client):
    studio, _identity = supplier
    client, _ = supplier_client()
    invoice = send_invoice(studio, client)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("account.invoice", "webo_facturx_pdf", [invoice])
    assert refused.value.faultCode == ACCESS_ERROR, refused.value.faultString


def test_supplier_cannot_import_an_invoice_addressed_to_claire(supplier, supplier_client):
    studio, identity = supplier
    client, _ = supplier_client(name="Atelier Claire Martin", siret=CLAIRE_SIRET)
    pdf = facturx_pdf(studio, send_invoice(studio, client))
    with pytest.raises(xmlrpc.client.Fault) as refused:
        import_facturx(studio, pdf)
    assert "pas à votre espace %s" % identity["name"] in refused.value.faultString


def blank_pdf():
    output = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(output)
    return output.getvalue()


@pytest.mark.parametrize("case, message", [
    ("text", "n'est pas un PDF"),
    ("plain-pdf", "ne contient pas de XML Factur-X"),
    ("schema", "ne respecte pas le schéma Factur-X"),
])
def test_invalid_files_are_refused_and_nothing_is_written(supplier, claire, supplier_client, case, message):
    studio, _identity = supplier
    if case == "text":
        content = "Facture n° 12 : 300 €".encode()
    elif case == "plain-pdf":
        content = blank_pdf()
    else:
        client, _ = supplier_client(name="Atelier Claire Martin", siret=CLAIRE_SIRET)
        _name, xml = facturx.get_facturx_xml_from_pdf(facturx_pdf(studio, send_invoice(studio, client)))
        broken = xml.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:Kind>380</ram:Kind>")
        assert broken != xml
        content = facturx.generate_from_binary(
            blank_pdf(), broken, flavor="factur-x", level="en16931", check_xsd=False,
            pdf_metadata={"author": "x", "keywords": "x", "title": "x", "subject": "x"})
    before = claire_state(claire)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        import_facturx(claire, content, "facture.pdf")
    assert message in refused.value.faultString, refused.value.faultString
    assert claire_state(claire) == before


# The official rules and the VAT franchise, over XML-RPC with raw ORM calls.

def _invoice_values(session, client_id, lines):
    (journal,) = session.execute("account.journal", "search_read", [("type", "=", "sale")],
                                 fields=["default_credit_account_id"], limit=1)
    today = datetime.date.today().isoformat()
    return {"partner_id": client_id, "journal_id": journal["id"], "date_invoice": today, "date_due": today,
            "invoice_line_ids": [(0, 0, dict(line, account_id=journal["default_credit_account_id"][0]))
                                 for line in lines]}


def test_workspace_without_siret_cannot_issue_an_invoice(new_designer, admin):
    """Issued only if the e-invoice passes the rules: the refusal says what
    to do, in French, and the invoice stays a draft without a number. (The
    opening requires the SIRET: here the platform removed it afterwards.)"""
    designer, company = new_designer("Atelier Sans SIRET")
    admin.execute("res.company", "write", [company], {"siret": False, "vat": False})
    client = designer.execute("res.partner", "create", {
        "name": "Client %s" % uuid.uuid4().hex[:8], "is_company": True, "customer": True,
        "email": "client@example.org"})
    invoice = designer.execute("account.invoice", "create", _invoice_values(
        designer, client, [{"name": "Site", "quantity": 1, "price_unit": 100.0}]))
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "action_invoice_open", [invoice])
    assert "n'a pas de SIRET" in refused.value.faultString
    (read,) = designer.execute("account.invoice", "read", [invoice], ["state", "number"])
    assert (read["state"], read["number"]) == ("draft", False)


def test_franchise_workspace_refuses_vat_on_every_path(claire):
    """Claire's workspace is under the VAT franchise: a 20 % tax on a line is
    refused at create and at write, on a subscription and in the wizard,
    in French, and nothing is written."""
    (client,) = claire.execute("res.partner", "search", [("name", "=", "Boulangerie Dupont")])
    (tax,) = claire.execute("account.tax", "search", [("type_tax_use", "=", "sale"), ("amount", "=", 20.0),
                                                       ("amount_type", "=", "percent")], limit=1)
    taxed = {"name": "Refonte", "quantity": 1, "price_unit": 100.0, "invoice_line_tax_ids": [(6, 0, [tax])]}
    before = claire.execute("account.invoice", "search_count", [])

    def refused(*call):
        with pytest.raises(xmlrpc.client.Fault) as fault:
            claire.execute(*call)
        assert "franchise en base de TVA (art. 293 B du CGI)" in fault.value.faultString
        assert "ne peut pas porter de TVA" in fault.value.faultString

    refused("account.invoice", "create", _invoice_values(claire, client, [taxed]))
    assert claire.execute("account.invoice", "search_count", []) == before
    untaxed = dict(taxed, invoice_line_tax_ids=[])
    invoice = claire.execute("account.invoice", "create", _invoice_values(claire, client, [untaxed]))
    try:
        (read,) = claire.execute("account.invoice", "read", [invoice], ["invoice_line_ids"])
        (line,) = read["invoice_line_ids"]
        refused("account.invoice.line", "write", [line], {"invoice_line_tax_ids": [(6, 0, [tax])]})
        (account,) = claire.execute("account.invoice.line", "read", [line], ["account_id"])
        refused("account.invoice", "write", [invoice], {"invoice_line_ids": [(0, 0, dict(
            taxed, account_id=account["account_id"][0]))]})
        (read,) = claire.execute("account.invoice.line", "read", [line], ["invoice_line_tax_ids"])
        assert read["invoice_line_tax_ids"] == []
        assert claire.execute("account.invoice.line", "search_count", [("invoice_id", "=", invoice)]) == 1
    finally:
        claire.execute("account.invoice", "unlink", [invoice])
    subscription_line = {"name": "Hébergement", "quantity": 1, "price_unit": 30.0, "tax_ids": [(6, 0, [tax])]}
    subscriptions = claire.execute("webo.subscription", "search_count", [])
    refused("webo.subscription", "webo_create", {
        "name": "Hébergement", "partner_id": client, "date_start": datetime.date.today().isoformat(),
        "line_ids": [(0, 0, subscription_line)]})
    assert claire.execute("webo.subscription", "search_count", []) == subscriptions
    refused("webo.invoice.wizard", "create", {
        "name": "Site", "partner_id": client, "date_due": datetime.date.today().isoformat(),
        "line_ids": [(0, 0, {"name": "Site", "quantity": 1, "price_unit": 100.0,
                             "tax_ids": [(6, 0, [tax])]})]})


def test_claire_invoice_passes_the_official_rules(claire, outbox):
    """The demo's franchise micro-entrepreneur: her sent invoice's Factur-X
    passes the EN 16931 and BR-FR rules, names her "... EI" and carries her
    SIREN as tax registration (BR-E-02); the email's subject and signature
    say "EI" too."""
    (client,) = claire.execute("res.partner", "search", [("name", "=", "Boulangerie Dupont")])
    wizard = claire.execute("webo.invoice.wizard", "create", {
        "name": "Site vitrine", "partner_id": client, "date_due": datetime.date.today().isoformat(),
        "line_ids": [(0, 0, {"name": "Maquettes", "quantity": 1, "price_unit": 500.0})]})
    invoice = claire.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
    pdf = base64.b64decode(claire.execute("account.invoice", "webo_facturx_pdf", [invoice]))
    _name, xml = facturx.get_facturx_xml_from_pdf(pdf, check_xsd=True)
    assert official_rules(xml) == []
    root = etree.fromstring(xml)
    assert xml_text(root, "//ram:SellerTradeParty/ram:Name") == "Atelier Claire Martin EI"
    assert xml_text(root, "//ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='FC']") \
        == CLAIRE_SIRET[:9]
    assert xml_text(root, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == "S1"
    (mail,) = [mail for mail in outbox.collect() if "Atelier Claire Martin EI" in mail.subject]
    assert "Atelier Claire Martin EI" in mail.body()
