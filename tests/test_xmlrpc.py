"""Workspace isolation seen by a designer's script: XML-RPC, as in production."""
import xmlrpc.client

import pytest

CLIENTS = {
    "claire": {"Boulangerie Dupont", "Cabinet Leroy Avocats", "Sophie Moreau"},
    "julien": {"Garage Lefèvre SAS", "Association Les Amis du Vélo", "Restaurant Le Petit Zinc"},
}
OTHER_DESIGNER = {"claire": "julien", "julien": "claire"}
DESIGNERS = sorted(CLIENTS)
# The domain of Gestion commerciale > Vente > Comptes Clients.
CUSTOMER_ACCOUNTS = [("customer", "=", True), ("parent_id", "=", False)]
# odoo.service.wsgi_server.RPC_FAULT_CODE_ACCESS_ERROR: the fault of an
# AccessError (an access right or a record rule) on /xmlrpc/2.
ACCESS_ERROR = 4
INVOICE_NAME = "Refonte du site vitrine"


def client_names(session):
    partners = session.execute("res.partner", "search_read", CUSTOMER_ACCOUNTS, fields=["name"])
    return [partner["name"] for partner in partners]


def partner_id(admin, name):
    (found,) = admin.execute("res.partner", "search", [("name", "=", name)])
    return found


def assert_access_error(refused):
    fault = refused.value
    assert fault.faultCode == ACCESS_ERROR, fault.faultString


def other_workspace_client(admin, designer):
    """(id, name) of a client of the other designer's workspace."""
    name = sorted(CLIENTS[OTHER_DESIGNER[designer]])[0]
    return partner_id(admin, name), name


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_logs_in(rpc, login):
    uid = rpc(login).uid
    assert isinstance(uid, int) and uid > 0, uid


def test_wrong_password_is_refused(rpc):
    assert rpc("claire", "julien").uid is False


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_sees_none_of_the_other_workspace_clients(rpc, login):
    others = CLIENTS[OTHER_DESIGNER[login]]
    assert not others.intersection(client_names(rpc(login)))


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_client_accounts_are_exactly_their_three_clients(rpc, login):
    names = client_names(rpc(login))
    assert sorted(names) == sorted(CLIENTS[login]), "Comptes Clients of %s: %s" % (login, sorted(names))


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_cannot_read_other_workspace_client(rpc, admin, login):
    client, _ = other_workspace_client(admin, login)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        rpc(login).execute("res.partner", "read", [client], ["name"])
    assert_access_error(refused)


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_cannot_find_other_workspace_client_by_id(rpc, admin, login):
    client, _ = other_workspace_client(admin, login)
    assert rpc(login).execute("res.partner", "search", [("id", "=", client)]) == []


@pytest.mark.parametrize("login", DESIGNERS)
def test_designer_cannot_rename_other_workspace_client(rpc, admin, login):
    client, name = other_workspace_client(admin, login)
    try:
        with pytest.raises(xmlrpc.client.Fault) as refused:
            rpc(login).execute("res.partner", "write", [client], {"name": name + " (piraté)"})
    finally:
        (stored,) = admin.execute("res.partner", "read", [client], ["name"])
        if stored["name"] != name:  # keep the shared test database intact for the next tests
            admin.execute("res.partner", "write", [client], {"name": name})
    assert_access_error(refused)
    assert stored["name"] == name


@pytest.fixture()
def julien_draft_invoice(julien):
    """A draft customer invoice that julien makes in his workspace over XML-RPC (one per test)."""
    (user,) = julien.execute("res.users", "read", [julien.uid], ["company_id"])
    company = ("company_id", "=", user["company_id"][0])
    journal = julien.execute("account.journal", "search", [("type", "=", "sale"), company], limit=1)
    income = julien.execute("account.account", "search", [("code", "=like", "706%"), company], limit=1)
    (client,) = julien.execute("res.partner", "search", [("name", "=", "Garage Lefèvre SAS")])
    invoice = julien.execute("account.invoice", "create", {
        "type": "out_invoice",
        "partner_id": client,
        "journal_id": journal[0],
        "name": INVOICE_NAME,
        "invoice_line_ids": [(0, 0, {
            "name": "Refonte graphique et intégration",
            "account_id": income[0],
            "quantity": 1,
            "price_unit": 1200.0,
        })],
    })
    yield invoice
    if julien.execute("account.invoice", "search", [("id", "=", invoice)]):
        julien.execute("account.invoice", "unlink", [invoice])


def test_designer_sees_own_draft_invoice(julien, julien_draft_invoice):
    (invoice,) = julien.execute("account.invoice", "read", [julien_draft_invoice],
                                ["name", "state", "amount_total"])
    assert (invoice["name"], invoice["state"], invoice["amount_total"]) == (INVOICE_NAME, "draft", 1200.0)


@pytest.mark.parametrize("method, args", [
    ("read", (["name"],)),
    ("write", ({"name": "Facture piratée"},)),
    ("unlink", ()),
])
def test_designer_cannot_touch_other_workspace_invoice(claire, julien, julien_draft_invoice, method, args):
    with pytest.raises(xmlrpc.client.Fault) as refused:
        claire.execute("account.invoice", method, [julien_draft_invoice], *args)
    assert_access_error(refused)
    assert julien.execute("account.invoice", "read", [julien_draft_invoice], ["name", "state"]) == [
        {"id": julien_draft_invoice, "name": INVOICE_NAME, "state": "draft"}]


def test_designer_cannot_find_other_workspace_invoice_by_id(claire, julien_draft_invoice):
    assert claire.execute("account.invoice", "search", [("id", "=", julien_draft_invoice)]) == []
