"""Deferred purchases settled from the client's card or SEPA payment, for
real: the session asks Stripe for the platform's share (an application
fee of the payment on the workspace's connected account: its open
purchases, oldest first, at most the amount), Stripe takes it when the
payment succeeds, and both books record exactly what Stripe took (the
loopback Stripe of stripe_api.py, called by the real ``stripe`` library
from the real server; events signed as Stripe signs them)."""
import xmlrpc.client

import pytest
import test_stripe_payments
from conftest import portal_session
from test_invoicing_api import ACCESS_ERROR, USER_ERROR, assert_fault, local_url, send_invoice
from test_purchase_credit_api import product_id
from test_stripe_payments import delivered, post_event, service_of, start_checkout

# The payments' fixtures: the platform's keys, a workspace with a sent invoice.
stripe_platform = test_stripe_payments.stripe_platform
shop = test_stripe_payments.shop

ORDER_FIELDS = ["state", "amount_due", "amount_settled", "invoice_id", "bill_id", "settlement_ids"]
SETTLEMENT_FIELDS = ["order_id", "date", "amount", "client_invoice_id", "client_payment_id",
                     "stripe_fee_id", "platform_payment_id", "bill_payment_id"]


def buy(designer, admin, xml_name, quantity):
    return designer.execute("webo.purchase.order", "webo_buy", [
        {"product_id": product_id(admin, xml_name), "quantity": quantity}], accept_terms=True)


def orders_of(designer, *orders):
    return [designer.execute("webo.purchase.order", "read", [order], ORDER_FIELDS)[0] for order in orders]


def checkout(designer, invoice, stripe_platform, odoo_url):
    """The client clicks the card/SEPA button of ``invoice``'s page: the session made."""
    (record,) = designer.execute("account.invoice", "read", [invoice], ["webo_payment_url"])
    assert start_checkout(odoo_url, local_url(odoo_url, record["webo_payment_url"])).status_code == 303
    return stripe_platform.sessions_of(service_of(designer)["stripe_account_id"])[-1]


def fee_asked(stripe_platform, session):
    reference = session["metadata"]["webo_checkout"]
    (call,) = [r for r in stripe_platform.requests
               if r["path"] == "/v1/checkout/sessions" and r["method"] == "POST"
               and r["params"].get("metadata", {}).get("webo_checkout") == reference]
    return call["params"]["payment_intent_data"].get("application_fee_amount")


def test_card_payment_pays_the_purchases_oldest_first_in_both_books(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, _record, _address = shop
    older = buy(designer, admin, "product_hosting", 2)         # 30.00
    newer = buy(designer, admin, "product_domain_name", 1)     # 12.00
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 42.0
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    assert fee_asked(stripe_platform, session) == "4200"
    event = stripe_platform.pay(session["id"])
    delivered(admin, odoo_url, event)

    account = service_of(designer)["stripe_account_id"]
    (fee,) = stripe_platform.fees_of(account)
    assert (fee["amount"], fee["amount_refunded"]) == (4200, 0)
    first, second = orders_of(designer, older, newer)
    assert (first["state"], first["amount_due"], second["state"], second["amount_due"]) == (
        "settled", 0.0, "settled", 0.0)
    settlements = designer.execute("webo.purchase.settlement", "read",
                                   first["settlement_ids"] + second["settlement_ids"], SETTLEMENT_FIELDS)
    assert [(s["order_id"][0], s["amount"], s["stripe_fee_id"]) for s in settlements] == [
        (older, 30.0, fee["id"]), (newer, 12.0, fee["id"])]
    assert {s["client_invoice_id"][0] for s in settlements} == {invoice}
    # Both books: the platform's invoices and the workspace's bills paid.
    for order in (first, second):
        (platform_invoice,) = admin.execute("account.invoice", "read", [order["invoice_id"][0]], ["state"])
        (bill,) = designer.execute("account.invoice", "read", [order["bill_id"][0]], ["state"])
        assert platform_invoice["state"] == bill["state"] == "paid"
    # The credit is released; the Synthèse lists the deductions.
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 0.0
    (service,) = designer.execute("webo.sale.service", "read", [service_of(designer)["id"]],
                                  ["purchase_settlement_ids"])
    assert sorted(service["purchase_settlement_ids"]) == sorted(s["id"] for s in settlements)

    # Stripe delivers the event again, and the payment intent's: settled once.
    assert post_event(odoo_url, event).text == "duplicate"
    delivered(admin, odoo_url, stripe_platform.intent_event(session["id"]))
    assert len(designer.execute("webo.purchase.settlement", "search", [])) == 2
    assert stripe_platform.fees_of(account)[0]["amount_refunded"] == 0


def test_a_smaller_payment_pays_part_of_the_oldest_purchase(shop, admin, stripe_platform, odoo_url):
    designer, _company, _invoice, _record, _address = shop
    older = buy(designer, admin, "product_hosting", 2)         # 30.00
    newer = buy(designer, admin, "product_domain_name", 1)     # 12.00
    (client,) = designer.execute("res.partner", "search", [("customer", "=", True),
                                                           ("name", "like", "Client Stripe")])
    small = send_invoice(designer, client, line_ids=[(0, 0, {"name": "Retouche", "quantity": 1,
                                                             "price_unit": 20.0})])  # 24.00 with VAT
    session = checkout(designer, small, stripe_platform, odoo_url)
    assert fee_asked(stripe_platform, session) == "2400"
    delivered(admin, odoo_url, stripe_platform.pay(session["id"]))
    first, second = orders_of(designer, older, newer)
    assert (first["state"], first["amount_settled"], first["amount_due"]) == ("confirmed", 24.0, 6.0)
    assert (second["amount_settled"], second["amount_due"]) == (0.0, 12.0)
    assert designer.execute("webo.sale.service", "webo_purchase_credit")["used"] == 18.0


def test_no_purchase_no_fee_and_another_workspaces_purchases_are_never_taken(
        shop, admin, new_designer, stripe_platform, odoo_url):
    designer, _company, invoice, _record, _address = shop
    neighbour, _neighbour_company = new_designer("Atelier Voisin Achats")
    theirs = buy(neighbour, admin, "product_hosting", 1)
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    assert fee_asked(stripe_platform, session) is None
    delivered(admin, odoo_url, stripe_platform.pay(session["id"]))
    assert stripe_platform.fees_of(service_of(designer)["stripe_account_id"]) == []
    assert designer.execute("webo.purchase.settlement", "search", []) == []
    (order,) = orders_of(neighbour, theirs)
    assert (order["state"], order["amount_due"]) == ("confirmed", 15.0)


def test_a_failed_sepa_debit_takes_nothing(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, _record, _address = shop
    order = buy(designer, admin, "product_hosting", 1)
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    assert fee_asked(stripe_platform, session) == "1500"
    delivered(admin, odoo_url, stripe_platform.pay(session["id"], method="sepa_debit"))
    delivered(admin, odoo_url, stripe_platform.settle(session["id"], succeeded=False))
    assert stripe_platform.fees_of(service_of(designer)["stripe_account_id"]) == []
    (read,) = orders_of(designer, order)
    assert (read["state"], read["amount_due"], read["settlement_ids"]) == ("confirmed", 15.0, [])


def test_a_sepa_debit_pays_the_purchases_when_it_succeeds(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, _record, _address = shop
    order = buy(designer, admin, "product_hosting", 1)
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    delivered(admin, odoo_url, stripe_platform.pay(session["id"], method="sepa_debit"))
    assert orders_of(designer, order)[0]["state"] == "confirmed"
    delivered(admin, odoo_url, stripe_platform.settle(session["id"]))
    (fee,) = stripe_platform.fees_of(service_of(designer)["stripe_account_id"])
    (read,) = orders_of(designer, order)
    assert (read["state"], fee["amount"]) == ("settled", 1500)


def test_what_the_purchases_no_longer_need_goes_back_to_the_account(shop, admin, stripe_platform, odoo_url):
    """The purchases were paid meanwhile by a transfer the designer
    recorded: Stripe took a share they no longer need, the platform gives
    it back (an application fee refund); the books hold what Stripe kept."""
    designer, _company, invoice, _record, _address = shop
    order = buy(designer, admin, "product_hosting", 1)
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    assert fee_asked(stripe_platform, session) == "1500"
    (client,) = designer.execute("res.partner", "search", [("customer", "=", True),
                                                           ("name", "like", "Client Stripe")])
    other = send_invoice(designer, client)
    designer.execute("account.invoice", "webo_register_payment", [other], 600.0)
    assert orders_of(designer, order)[0]["state"] == "settled"
    delivered(admin, odoo_url, stripe_platform.pay(session["id"]))
    (fee,) = stripe_platform.fees_of(service_of(designer)["stripe_account_id"])
    assert (fee["amount"], fee["amount_refunded"], fee["refunded"]) == (1500, 1500, True)
    (call,) = [r for r in stripe_platform.requests
               if r["path"] == "/v1/application_fees/%s/refunds" % fee["id"]]
    assert call["account"] is None and call["idempotency_key"] == "webo-fee-return-%s" % fee["id"]
    (read,) = orders_of(designer, order)
    settlements = designer.execute("webo.purchase.settlement", "read", read["settlement_ids"],
                                   ["stripe_fee_id", "amount"])
    assert [(s["stripe_fee_id"], s["amount"]) for s in settlements] == [(False, 15.0)]
    (stored,) = admin.execute("webo.stripe.checkout", "search_read",
                              [("session_id", "=", session["id"])],
                              fields=["purchase_fee_id", "purchase_fee_amount", "purchase_fee_returned"])
    assert (stored["purchase_fee_id"], stored["purchase_fee_amount"], stored["purchase_fee_returned"]) == (
        fee["id"], 15.0, 15.0)


def test_settlements_are_read_only_over_xmlrpc(shop, admin, rpc, stripe_platform, odoo_url):
    designer, _company, invoice, _record, _address = shop
    order = buy(designer, admin, "product_hosting", 1)
    session = checkout(designer, invoice, stripe_platform, odoo_url)
    delivered(admin, odoo_url, stripe_platform.pay(session["id"]))
    (settlement,) = designer.execute("webo.purchase.settlement", "search", [])
    (payment,) = designer.execute("webo.purchase.settlement", "read", [settlement], ["client_payment_id"])

    def unchanged():
        (read,) = admin.execute("webo.purchase.settlement", "read", [settlement], ["amount", "stripe_fee_id"])
        assert read["amount"] == 15.0 and read["stripe_fee_id"].startswith("fee_")
        assert admin.execute("webo.purchase.settlement", "search_count", [("order_id", "=", order)]) == 1

    for call in (lambda s: s.execute("webo.purchase.settlement", "write", [settlement],
                                     {"amount": 1.0, "stripe_fee_id": "fee_forged"}),
                 lambda s: s.execute("webo.purchase.settlement", "unlink", [settlement]),
                 lambda s: s.execute("webo.purchase.settlement", "create", {
                     "order_id": order, "client_payment_id": payment["client_payment_id"][0],
                     "client_invoice_id": invoice, "amount": 15.0})):
        with pytest.raises(xmlrpc.client.Fault) as refused:
            call(designer)
        assert refused.value.faultCode == ACCESS_ERROR
    unchanged()
    # The client on the portal sees no settlement.
    (client,) = designer.execute("account.invoice", "read", [invoice], ["partner_id"])
    _user, portal = portal_session(designer, admin, rpc, client["partner_id"][0])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        portal.execute("webo.purchase.settlement", "read", [settlement], ["amount"])
    assert refused.value.faultCode == ACCESS_ERROR
    # Cancelling the payment Stripe took the share from is refused.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        admin.execute("account.payment", "cancel", [payment["client_payment_id"][0]],
                      context={"lang": "fr_FR"})
    assert_fault(refused, "ne peut pas être annulé", code=USER_ERROR)
    unchanged()
