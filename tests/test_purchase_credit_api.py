"""Deferred payment over XML-RPC against a real server: buying, the credit,
the orders, the refusals, and parallel purchases from separate connections
that never take more than the ceiling."""
import datetime
import threading
import xmlrpc.client

import pytest
from conftest import run_cron
from test_opening_api import company_name, fault_message, opening_values


@pytest.fixture()
def server_log(output_dir):
    """``server_log()``: the lines the test server logged since the test began."""
    log = output_dir / "odoo-server.log"
    start = log.stat().st_size

    def lines():
        with log.open(encoding="utf-8", errors="replace") as logged:
            logged.seek(start)
            return logged.readlines()
    return lines


def turns_left_to_chance(lines):
    """A purchase's turn (a cursor holding its workspace's lock) that was
    not passed on when the purchase ended, but later by the garbage
    collector, which Odoo logs."""
    return [line for line in lines if "not closed explicitly" in line]


def product_id(session, xml_name):
    (data,) = session.execute("ir.model.data", "search_read", [
        ("module", "=", "webo_sale"), ("name", "=", xml_name)], fields=["res_id"])
    return data["res_id"]


@pytest.fixture()
def open_designer(new_designer, repo_dir):
    """A new workspace whose sales service is open (IBAN given: 300 EUR)."""
    def create(name):
        designer, company = new_designer(name, open_service=False)
        designer.execute("webo.sale.opening", "webo_open_service", opening_values(
            repo_dir, company_name=company_name(designer, company), legal_form="micro",
            vat_regime="franchise", vat=False, share_capital=0, rcs_city=False))
        return designer, company
    return create


def test_buy_read_the_credit_and_list_the_orders(open_designer, admin, claire, server_log):
    designer, company = open_designer("Atelier Achat")
    hosting = product_id(admin, "product_hosting")
    credit = designer.execute("webo.sale.service", "webo_purchase_credit")
    assert (credit["ceiling"], credit["used"], credit["available"]) == (300.0, 0.0, 300.0)

    order_id = designer.execute("webo.purchase.order", "webo_buy",
                                [{"product_id": hosting, "quantity": 2}],
                                payment_method="deferred", accept_terms=True)
    (order,) = designer.execute("webo.purchase.order", "search_read", [],
                                fields=["name", "state", "amount_total", "acquirer_id", "bill_id"],
                                context={"lang": "fr_FR"})
    assert order["id"] == order_id and order["state"] == "confirmed"
    assert order["amount_total"] == 30.0 and order["acquirer_id"][1] == "Paiement différé"
    assert turns_left_to_chance(server_log()) == []
    # The platform's job writes the books of the new orders (every minute).
    assert order["bill_id"] is False
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 30.0
    run_cron(admin, "webo_purchase_credit", "ir_cron_issue_platform_invoices")
    (order,) = designer.execute("webo.purchase.order", "read", [order_id], ["bill_id"])
    (bill,) = designer.execute("account.invoice", "read", [order["bill_id"][0]], ["state", "residual"])
    assert (bill["state"], bill["residual"]) == ("open", 30.0)
    credit = designer.execute("webo.sale.service", "webo_purchase_credit")
    assert (credit["used"], credit["available"]) == (30.0, 270.0)
    synthesis = designer.execute("webo.sale.service", "webo_synthesis",
                                 [designer.execute("webo.sale.service", "webo_my_service")])
    assert (synthesis["purchase_used"], synthesis["purchase_available"]) == (30.0, 270.0)

    # Another designer does not see it; the platform operator does.
    assert order_id not in claire.execute("webo.purchase.order", "search", [])
    with pytest.raises(xmlrpc.client.Fault):
        claire.execute("webo.purchase.order", "read", [order_id], ["name"])
    assert order_id in admin.execute("webo.purchase.order", "search", [("company_id", "=", company)])


def test_refusals_write_nothing(open_designer, new_designer, admin, server_log):
    designer, _company = open_designer("Atelier Refus")
    not_open, _company = new_designer("Atelier Fermé", open_service=False)
    hosting = product_id(admin, "product_hosting")

    def buy(session, lines, **kwargs):
        kwargs.setdefault("accept_terms", True)
        return fault_message(lambda: session.execute(
            "webo.purchase.order", "webo_buy", lines, context={"lang": "fr_FR"}, **kwargs))

    message = buy(designer, [{"product_id": hosting, "quantity": 21}])
    assert "Cette commande (315,00" in message and "disponible, qui est de 300,00" in message, message
    assert "conditions générales de vente" in buy(designer, [{"product_id": hosting, "quantity": 1}],
                                                  accept_terms=False)
    assert "n'est pas (ou plus) vendu" in buy(designer, [{"product_id": 987654321, "quantity": 1}])
    assert "service de vente ouvert" in buy(not_open, [{"product_id": hosting, "quantity": 1}])
    assert not_open.execute("webo.purchase.order", "search", []) == []
    service = designer.execute("webo.sale.service", "webo_my_service")
    admin.execute("webo.sale.service", "write", [service], {"purchase_blocked": True})
    assert "suspendu" in buy(designer, [{"product_id": hosting, "quantity": 1}])
    assert designer.execute("webo.purchase.order", "search", []) == []
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 0.0
    assert turns_left_to_chance(server_log()) == [], "a refused purchase passes its turn on at once"


def test_parallel_purchases_never_exceed_the_ceiling(open_designer, admin, rpc, server_log):
    designer, _company = open_designer("Atelier Concurrence")
    service = designer.execute("webo.sale.service", "webo_my_service")
    admin.execute("webo.sale.service", "write", [service], {"purchase_ceiling_override": 100.0})
    hosting = product_id(admin, "product_hosting")
    (user,) = designer.execute("res.users", "read", [designer.uid], ["login"])
    accepted, refused, failed = [], [], []
    start = threading.Barrier(8)

    def purchase():
        session = rpc(user["login"])  # a connection of its own
        start.wait()
        try:
            accepted.append(session.execute("webo.purchase.order", "webo_buy",
                                            [{"product_id": hosting, "quantity": 1}],
                                            accept_terms=True, context={"lang": "fr_FR"}))
        except xmlrpc.client.Fault as fault:
            (refused if "crédit d'achat disponible" in fault.faultString else failed).append(
                fault.faultString)

    threads = [threading.Thread(target=purchase) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failed == []
    # Each purchase waited for its turn and saw the one before: none was
    # refused by PostgreSQL as stale and replayed by Odoo.
    assert [line for line in server_log() if "retry" in line] == []
    assert turns_left_to_chance(server_log()) == []
    credit = designer.execute("webo.sale.service", "webo_purchase_credit")
    assert credit["used"] <= 100.0
    # 15 EUR each: six fit in 100 EUR, the other two are refused.
    assert (len(accepted), len(refused)) == (6, 2)
    orders = designer.execute("webo.purchase.order", "search_read", [], fields=["amount_total"])
    assert sorted(order["id"] for order in orders) == sorted(accepted), "no lost order"
    assert credit["used"] == sum(order["amount_total"] for order in orders) == 90.0
    run_cron(admin, "webo_purchase_credit", "ir_cron_issue_platform_invoices")
    orders = designer.execute("webo.purchase.order", "search_read", [], fields=["bill_id"])
    assert all(order["bill_id"] for order in orders)
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 90.0


def test_client_payment_settles_the_purchases(open_designer, admin, outbox):
    designer, company = open_designer("Atelier Règlement")
    # The workspace signs its emails (the payment alert) with its address.
    admin.execute("res.company", "write", [company], {"email": "atelier-reglement@example.org"})
    hosting = product_id(admin, "product_hosting")
    first = designer.execute("webo.purchase.order", "webo_buy",
                             [{"product_id": hosting, "quantity": 2}], accept_terms=True)
    second = designer.execute("webo.purchase.order", "webo_buy",
                              [{"product_id": hosting, "quantity": 1}], accept_terms=True)
    client = designer.execute("res.partner", "create", {
        "name": "Client Règlement", "is_company": True, "customer": True,
        "email": "client-reglement@example.org"})
    wizard = designer.execute("webo.invoice.wizard", "create", {
        "name": "Site vitrine", "partner_id": client,
        "date_due": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        "line_ids": [(0, 0, {"name": "Site", "quantity": 1, "price_unit": 40.0})]})
    invoice = designer.execute("webo.invoice.wizard", "action_send", [wizard])["res_id"]
    designer.execute("account.invoice", "webo_register_payment", [invoice], 40.0)
    orders = {order["id"]: order for order in designer.execute(
        "webo.purchase.order", "read", [first, second], ["state", "amount_due"])}
    assert (orders[first]["state"], orders[first]["amount_due"]) == ("settled", 0.0)
    assert (orders[second]["state"], orders[second]["amount_due"]) == ("confirmed", 5.0)
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 5.0
    outbox.collect()  # before the client is archived: Odoo drops the mail of archived recipients
    designer.execute("res.partner", "write", [client], {"active": False})
