"""Hardened inputs and safe defaults, from outside, against a real server:
hostile XML in a supplier's Factur-X, oversized uploads, a subscription
pointed at another workspace, a new IBAN before its RIB is validated, the
database manager, login throttling, the payment page's headers and cookies.
Every refusal is in French and writes nothing."""
import base64
import io
import time
import uuid
import xmlrpc.client

import pytest
import requests
from pypdf import PdfWriter
from test_http import CSRF_TOKEN
from test_invoicing_api import LINE, local_url, send_invoice
from test_opening_api import company_name, designer_login, opening_values

OLD_IBAN = "FR76 3000 6000 0112 3456 7890 189"
NEW_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
LIMIT_MESSAGE = "la limite est de 10 Mo"
# Just above the 10 MB the uploads accept.
OVERSIZED = base64.b64encode(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)).decode()


def refusal(call):
    """The faultString of a refused XML-RPC call."""
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value.faultString


def pdf_with_facturx(xml):
    """A one-page PDF embedding ``xml`` under the Factur-X name, as a supplier
    would send it (the XML is not parsed on the way in)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("factur-x.xml", xml)
    buffer = io.BytesIO()
    writer.write(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def billion_laughs():
    entities = b"".join(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10)
                        for level in range(1, 10))
    return (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">' + entities + b"]>"
            b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
            b'CrossIndustryInvoice:100">&lol9;</rsm:CrossIndustryInvoice>')


def footprint(session):
    """What an import could write in the session's workspace."""
    return (session.execute("account.invoice", "search_count", []),
            session.execute("res.partner", "search_count", [], context={"active_test": False}),
            session.execute("ir.attachment", "search_count", [("res_model", "=", "account.invoice")]))


# Hostile XML -------------------------------------------------------------------


def test_facturx_with_a_file_entity_is_refused_and_reads_nothing(claire, tmp_path):
    secret = tmp_path / "secret.txt"
    marker = "SECRET-%s" % uuid.uuid4().hex
    secret.write_text(marker)
    xml = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY leak SYSTEM "file://%s">]>'
           '<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:'
           'CrossIndustryInvoice:100">&leak;</rsm:CrossIndustryInvoice>' % secret).encode()
    before = footprint(claire)
    message = refusal(lambda: claire.execute("account.invoice", "webo_import_facturx",
                                             pdf_with_facturx(xml), "fournisseur.pdf"))
    assert "déclare une DTD ou des entités" in message, message
    assert marker not in message
    assert "Traceback" not in message
    assert footprint(claire) == before


def test_facturx_billion_laughs_is_refused(claire):
    before = footprint(claire)
    started = time.monotonic()
    message = refusal(lambda: claire.execute("account.invoice", "webo_import_facturx",
                                             pdf_with_facturx(billion_laughs()), "rires.pdf"))
    assert "déclare une DTD ou des entités" in message, message
    assert time.monotonic() - started < 30
    assert footprint(claire) == before


# Upload size caps -----------------------------------------------------------------


def test_oversized_facturx_is_refused_with_the_limit(claire):
    before = footprint(claire)
    message = refusal(lambda: claire.execute("account.invoice", "webo_import_facturx", OVERSIZED,
                                             "enorme.pdf"))
    assert "enorme.pdf" in message and LIMIT_MESSAGE in message, message
    wizards = claire.execute("webo.facturx.import", "search_count", [])
    message = refusal(lambda: claire.execute("webo.facturx.import", "create",
                                             {"data": OVERSIZED, "filename": "enorme.pdf"}))
    assert LIMIT_MESSAGE in message, message
    assert claire.execute("webo.facturx.import", "search_count", []) == wizards
    assert footprint(claire) == before


def test_oversized_documents_are_refused_before_they_are_stored(claire):
    service = claire.execute("webo.sale.service", "webo_my_service")
    action = claire.execute("webo.sale.service", "action_edit_documents", [service])
    wizard = action["res_id"]
    message = refusal(lambda: claire.execute("webo.sale.opening", "write", [wizard],
                                             {"bank_file": OVERSIZED, "bank_filename": "rib.pdf"}))
    assert LIMIT_MESSAGE in message and "RIB" in message, message
    (stored,) = claire.execute("webo.sale.opening", "read", [wizard], ["bank_file"])
    assert not stored["bank_file"]

    (document,) = claire.execute("webo.sale.document", "search_read",
                                 [("service_id", "=", service), ("kind", "=", "identity")],
                                 ["file_size", "state"])
    replacements = claire.execute("webo.sale.document.replace", "search_count", [])
    message = refusal(lambda: claire.execute("webo.sale.document.replace", "create", {
        "document_id": document["id"], "file": OVERSIZED, "filename": "cni.pdf"}))
    assert LIMIT_MESSAGE in message, message
    assert claire.execute("webo.sale.document.replace", "search_count", []) == replacements
    (after,) = claire.execute("webo.sale.document", "read", [document["id"]], ["file_size", "state"])
    assert after == document


# Subscriptions stay in their workspace --------------------------------------------


def test_subscription_user_and_taxes_of_another_workspace_are_refused(claire, julien, new_client):
    client, _address = new_client()
    today = time.strftime("%Y-%m-%d")
    values = {"name": "Maintenance", "partner_id": client, "date_start": today,
              "line_ids": [(0, 0, dict(LINE))]}
    subscriptions = claire.execute("webo.subscription", "search_count", [])

    message = refusal(lambda: claire.execute("webo.subscription", "webo_create",
                                             dict(values, user_id=julien.uid)))
    # webo_create takes no designer (the caller is the designer)
    assert "user_id" in message, message
    assert "Julien" not in message, "the other workspace's user is not named"
    assert "Traceback" not in message

    (julien_tax,) = julien.execute("account.tax", "search", [("type_tax_use", "=", "sale")], limit=1)
    foreign_line = dict(LINE, tax_ids=[(6, 0, [julien_tax])])
    message = refusal(lambda: claire.execute("webo.subscription", "webo_create",
                                             dict(values, line_ids=[(0, 0, foreign_line)])))
    assert "autre espace" in message and "Traceback" not in message, message
    assert claire.execute("webo.subscription", "search_count", []) == subscriptions

    subscription = claire.execute("webo.subscription", "webo_create", values)
    try:
        message = refusal(lambda: claire.execute("webo.subscription", "write", [subscription],
                                                 {"user_id": julien.uid}))
        assert "autre espace" in message and "Julien" not in message, message
        message = refusal(lambda: claire.execute("webo.subscription", "webo_modify", [subscription],
                                                 {"line_ids": [(0, 0, foreign_line)]}))
        assert "autre espace" in message, message
        (after,) = claire.execute("webo.subscription", "read", [subscription],
                                  ["user_id", "line_ids", "amount_total"])
        assert after["user_id"][0] == claire.uid
        assert len(after["line_ids"]) == 1 and after["amount_total"] == LINE["price_unit"]
    finally:
        claire.execute("webo.subscription", "webo_stop", [subscription])


# A new IBAN waits for its RIB -------------------------------------------------------


def page_iban(odoo_url, url):
    page = requests.get(local_url(odoo_url, url), timeout=60)
    assert page.status_code == 200
    return "".join(page.text.split("o_webo_iban")[1].split(">", 1)[1].split("<", 1)[0].split())


def test_new_iban_is_used_only_once_its_rib_is_validated(new_designer, admin, repo_dir, odoo_url):
    designer, company = new_designer("Agence IBAN", open_service=False)
    service = designer.execute("webo.sale.opening", "webo_open_service",
                               opening_values(repo_dir, company_name=company_name(designer, company)))
    client = designer.execute("res.partner", "create", {
        "name": "Client IBAN", "is_company": True, "customer": True,
        "child_ids": [(0, 0, {"type": "invoice", "name": "Compta",
                              "email": "compta-%s@example.org" % uuid.uuid4().hex[:10]})]})
    invoice = send_invoice(designer, client)
    (record,) = designer.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    url = record["webo_payment_url"]
    old, new = "".join(OLD_IBAN.split()), "".join(NEW_IBAN.split())
    assert page_iban(odoo_url, url) == old

    # Every raw path to the payment-receiving account is refused.
    (current,) = designer.execute("webo.sale.service", "read", [service],
                                  ["bank_account_id", "payment_journal_id"])
    account, journal = current["bank_account_id"][0], current["payment_journal_id"][0]
    message = refusal(lambda: designer.execute("res.partner.bank", "write", [account],
                                               {"acc_number": NEW_IBAN}))
    assert "celui sur lequel vos clients paient" in message, message
    refusal(lambda: designer.execute("res.partner.bank", "unlink", [account]))
    other = designer.execute("res.partner.bank", "create", {
        "acc_number": NEW_IBAN, "partner_id": designer.execute(
            "res.company", "read", [company], ["partner_id"])[0]["partner_id"][0]})
    refusal(lambda: designer.execute("webo.sale.service", "write", [service],
                                     {"bank_account_id": other}))
    refusal(lambda: designer.execute("account.journal", "write", [journal],
                                     {"bank_account_id": other}))
    designer.execute("res.partner.bank", "unlink", [other])
    assert page_iban(odoo_url, url) == old

    # "Mettre à jour mes documents ou mon IBAN": the new IBAN with its RIB
    action = designer.execute("webo.sale.service", "action_edit_documents", [service])
    values = opening_values(repo_dir)
    designer.execute("webo.sale.opening", "write", [action["res_id"]], {
        "iban": NEW_IBAN, "bic": "PSSTFRPPNTE",
        "bank_file": values["bank_file"], "bank_filename": "nouveau-rib.pdf"})
    designer.execute("webo.sale.opening", "action_submit", [action["res_id"]])
    (state,) = designer.execute("webo.sale.service", "read", [service], ["iban", "pending_iban"],
                                context={"lang": "fr_FR"})
    assert "".join(state["iban"].split()) == old and state["pending_iban"] == new
    label = designer.execute("webo.sale.service", "fields_get", ["pending_iban"], ["string"],
                             context={"lang": "fr_FR"})["pending_iban"]["string"]
    assert "en attente de validation" in label, label
    assert page_iban(odoo_url, url) == old, "the page still shows the IBAN in use"

    # The platform validates the RIB: now the clients pay into the new IBAN.
    (rib,) = admin.execute("webo.sale.document", "search",
                           [("service_id", "=", service), ("kind", "=", "bank")])
    admin.execute("webo.sale.document", "action_validate", [rib])
    assert page_iban(odoo_url, url) == new
    (state,) = designer.execute("webo.sale.service", "read", [service], ["pending_iban"])
    assert not state["pending_iban"]
    (journal_record,) = admin.execute("account.journal", "read", [journal], ["bank_acc_number"])
    assert "".join(journal_record["bank_acc_number"].split()) == new


# Database manager, throttling, headers, cookies -------------------------------------


@pytest.mark.parametrize("path", ["/web/database/manager", "/web/database/selector"])
def test_database_manager_pages_are_closed(odoo_url, path):
    assert requests.get(odoo_url + path, timeout=60).status_code == 404


@pytest.mark.parametrize("path", ["create", "duplicate", "drop", "backup", "restore",
                                  "change_password"])
def test_database_manager_actions_are_closed(odoo_url, database, path):
    reply = requests.post("%s/web/database/%s" % (odoo_url, path), timeout=60, data={
        "master_pwd": "admin", "name": database, "new_name": database + "_copy",
        "backup_format": "zip", "master_pwd_new": "x", "master_pwd_new2": "x"})
    assert reply.status_code == 404
    assert "Traceback" not in reply.text


def test_database_list_is_refused(odoo_url):
    reply = requests.post(odoo_url + "/web/database/list", timeout=60,
                          json={"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1})
    assert "result" not in reply.json()


def test_database_service_refuses_the_old_master_password(odoo_url, database):
    service = xmlrpc.client.ServerProxy(odoo_url + "/xmlrpc/2/db")
    for call in (lambda: service.dump("admin", database, "zip"),
                 lambda: service.drop("webo-admin", database + "_none"),
                 lambda: service.list()):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            call()
        assert "AccessDenied" in refused.value.faultString or "Access" in refused.value.faultString


@pytest.fixture()
def login_limits(admin):
    """Login throttling with a short while, for the test to see its end;
    the defaults back afterwards."""
    key = "webo_sale.login_block_seconds"
    admin.execute("ir.config_parameter", "set_param", key, "900")
    logins = []
    yield lambda seconds: admin.execute("ir.config_parameter", "set_param", key, str(seconds)), logins
    admin.execute("ir.config_parameter", "set_param", key, False)
    failures = admin.execute("webo.login.failure", "search", [("login", "in", logins)])
    admin.execute("webo.login.failure", "unlink", failures)


def web_login(odoo_url, login, password):
    """A login through the form: whether the session is then a user's."""
    browser = requests.Session()
    token = CSRF_TOKEN.findall(browser.get(odoo_url + "/web/login", timeout=60).text)[0]
    browser.post(odoo_url + "/web/login", timeout=60,
                 data={"login": login, "password": password, "csrf_token": token})
    info = browser.post(odoo_url + "/web/session/get_session_info", timeout=60,
                        json={"jsonrpc": "2.0", "method": "call", "params": {}, "id": 1}).json()
    return bool(info.get("result", {}).get("uid"))


def test_wrong_passwords_block_the_login_for_a_while(new_designer, rpc, odoo_url, login_limits):
    set_block_seconds, logins = login_limits
    designer, _company = new_designer("Agence Verrou", open_service=False)
    login = designer_login(designer)
    logins.append(login)
    for attempt in range(5):
        assert rpc(login, "mauvais-%d" % attempt).uid is False
    assert rpc(login).uid is False, "the right password is refused while blocked"
    assert not web_login(odoo_url, login, login)
    set_block_seconds(2)
    time.sleep(2.5)
    assert rpc(login).uid == designer.uid
    assert web_login(odoo_url, login, login)


def test_wrong_passwords_on_the_web_login_block_xmlrpc_too(new_designer, rpc, odoo_url, login_limits):
    _set_block_seconds, logins = login_limits
    designer, _company = new_designer("Agence Verrou Web", open_service=False)
    login = designer_login(designer)
    logins.append(login)
    for attempt in range(5):
        assert not web_login(odoo_url, login, "mauvais-%d" % attempt)
    assert not web_login(odoo_url, login, login)
    assert rpc(login).uid is False
    assert rpc("claire").uid, "another login is not blocked"


SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def test_payment_page_and_pdf_headers_and_no_cookie_for_a_visitor(claire, new_client, odoo_url, outbox):
    client, _address = new_client()
    invoice = send_invoice(claire, client)
    (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    page_url = local_url(odoo_url, record["webo_payment_url"])
    pdf_url = page_url.replace("/my/invoices/", "/my/invoices/pdf/")
    for url, content_type in ((page_url, "text/html"), (pdf_url, "application/pdf")):
        reply = requests.get(url, timeout=60)
        assert reply.status_code == 200 and reply.headers["Content-Type"].startswith(content_type)
        for header, value in SECURITY_HEADERS.items():
            assert reply.headers.get(header) == value, (url, header, reply.headers.get(header))
        policy = reply.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy, policy
        assert "Set-Cookie" not in reply.headers, reply.headers.get("Set-Cookie")


def test_session_cookie_is_samesite_lax(odoo_url):
    reply = requests.get(odoo_url + "/web/login", timeout=60)
    cookie = reply.headers["Set-Cookie"]
    assert cookie.startswith("session_id=") and "SameSite=Lax" in cookie, cookie
    assert "HttpOnly" in cookie
