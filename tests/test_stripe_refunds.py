"""Refunds through Stripe: a credit note on an invoice paid by card or
SEPA debit gives the money back with a Refund of the payment on the
workspace's connected account (the loopback Stripe of stripe_api.py,
called by the real ``stripe`` library), recorded in the books as an
outbound payment reconciled with the credit note; Stripe's signed refund
events are processed once."""
import threading
import xmlrpc.client

import pytest
import test_stripe_payments
from conftest import portal_session
from test_invoicing_api import ACCESS_ERROR, USER_ERROR, assert_fault, local_url, mail_to, read_invoice
from test_stripe_payments import delivered, post_event, service_of, start_checkout

# The payments' fixtures: the platform's keys, a workspace with a sent invoice.
stripe_platform = test_stripe_payments.stripe_platform
shop = test_stripe_payments.shop


def paid_by_stripe(admin, designer, record, stripe_platform, odoo_url, method="card"):
    """The client pays the shop's invoice on Stripe's page: the session."""
    assert start_checkout(odoo_url, local_url(odoo_url, record["webo_payment_url"])).status_code == 303
    account = service_of(designer)["stripe_account_id"]
    session = stripe_platform.sessions_of(account)[-1]
    delivered(admin, odoo_url, stripe_platform.pay(session["id"], method=method))
    if method == "sepa_debit":
        delivered(admin, odoo_url, stripe_platform.settle(session["id"]))
    return session


def refunds_at_stripe(stripe_platform, designer):
    return stripe_platform.refunds_of(service_of(designer)["stripe_account_id"])


def outbound(admin, credit_note):
    return admin.execute("account.payment", "search_read", [("invoice_ids", "in", [credit_note]),
                                                            ("payment_type", "=", "outbound")],
                         fields=["amount", "state", "journal_id"])


def collected_this_month(designer):
    figures = designer.execute("webo.sale.service", "webo_synthesis", [service_of(designer)["id"]])
    return figures["months"][-1]["collected"], figures["paid_count"]


def test_card_refund_of_a_credit_note_is_made_once_and_booked(shop, admin, stripe_platform, odoo_url,
                                                               outbox):
    designer, _company, invoice, record, address = shop
    session = paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    assert read_invoice(designer, invoice)["state"] == "paid"
    # A paid invoice paid by card can be cancelled: its credit note owes the client.
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["state", "residual", "webo_stripe_refundable", "amount_total"])
    total = note["amount_total"]  # 500.00 + VAT, all paid by card
    assert note["state"] == "open" and note["residual"] == total == 600.0
    assert note["webo_stripe_refundable"] == total

    outbox.collect()
    (refund_id,) = designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    (refund,) = refunds_at_stripe(stripe_platform, designer)
    assert refund["id"] == refund_id and refund["amount"] == 60000 and refund["status"] == "succeeded"
    # The client is told, in French; the designer sees it in the credit note's chatter.
    (notice,) = mail_to(outbox.collect(), address)
    assert "Remboursement" in notice.subject and "600,00" in notice.body("html")
    assert "Carte" in notice.body("html")
    messages = designer.execute("mail.message", "search_read", [
        ("model", "=", "account.invoice"), ("res_id", "=", credit_note)], fields=["subject"])
    assert [m for m in messages if (m["subject"] or "").startswith("Remboursement")]
    assert refund["payment_intent"] == stripe_platform.sessions[session["id"]][1]["payment_intent"]
    (call,) = [r for r in stripe_platform.requests if r["path"] == "/v1/refunds"]
    assert call["secret"] and call["account"] == service_of(designer)["stripe_account_id"]
    assert call["idempotency_key"].startswith("webo-refund-")
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["state", "residual", "webo_stripe_refundable"])
    assert note["state"] == "paid" and note["residual"] == 0 and note["webo_stripe_refundable"] == 0
    (payment,) = outbound(admin, credit_note)
    assert payment["amount"] == total and payment["state"] == "posted"
    assert payment["journal_id"][0] == service_of(designer)["payment_journal_id"][0]
    (stored,) = admin.execute("webo.stripe.refund", "search_read", [("credit_note_id", "=", credit_note)],
                              fields=["refund_id", "state", "amount"])
    assert (stored["refund_id"], stored["state"], stored["amount"]) == (refund_id, "succeeded", total)

    # The Synthèse: collected, then given back; no paid invoice left.
    assert collected_this_month(designer) == (0.0, 0)

    # The second click: nothing left, nothing asked of Stripe, nothing written.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert_fault(refused, "ne peut être remboursé par Stripe", code=USER_ERROR)
    assert len([r for r in stripe_platform.requests if r["path"] == "/v1/refunds"]) == 1
    assert len(outbound(admin, credit_note)) == 1

    # Stripe's charge.refunded: processed once.
    event = stripe_platform.refund_settled(refund_id)
    delivered(admin, odoo_url, event)
    assert post_event(odoo_url, event).text == "duplicate"
    assert len(outbound(admin, credit_note)) == 1


def test_refund_refusals_write_nothing_and_refund_nothing(shop, admin, rpc, stripe_platform, odoo_url,
                                                         new_designer):
    designer, _company, invoice, record, _address = shop
    paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])

    def nothing_happened():
        assert not refunds_at_stripe(stripe_platform, designer)
        assert outbound(admin, credit_note) == []
        assert admin.execute("webo.stripe.refund", "search", [("credit_note_id", "=", credit_note)]) == []
        assert read_invoice(designer, credit_note)["state"] == "open"

    # More than was paid through Stripe; not a positive amount.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note], 600.01)
    assert_fault(refused, "Au plus 600,00", code=USER_ERROR)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note], -5)
    assert_fault(refused, "montant à rembourser", code=USER_ERROR)
    nothing_happened()
    # Stripe refuses: its message in French words, nothing written.
    stripe_platform.refuse_next("/v1/refunds", "Charge ch_X has already been refunded.",
                                code="charge_already_refunded")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert_fault(refused, "Stripe a refusé le remboursement", "has already been refunded",
                 code=USER_ERROR)
    nothing_happened()
    # Another workspace's designer, and the client on the portal.
    other, _other_company = new_designer("Atelier Voisin")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        other.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert refused.value.faultCode in (ACCESS_ERROR, USER_ERROR)
    (client,) = designer.execute("account.invoice", "read", [invoice], ["partner_id"])
    _user, portal = portal_session(designer, admin, rpc, client["partner_id"][0])
    with pytest.raises(xmlrpc.client.Fault) as refused:
        portal.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert refused.value.faultCode == ACCESS_ERROR
    nothing_happened()
    # The genuine call still refunds, part of it.
    designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note], 120.5)
    (refund,) = refunds_at_stripe(stripe_platform, designer)
    assert refund["amount"] == 12050
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["residual", "webo_stripe_refundable"])
    assert note["residual"] == note["webo_stripe_refundable"] == 479.5


def test_no_stripe_refund_for_an_invoice_not_paid_through_stripe(shop, stripe_platform):
    designer, _company, invoice, _record, _address = shop
    designer.execute("account.invoice", "webo_register_payment", [invoice], 100.0)
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["residual", "webo_stripe_refundable"])
    assert note["residual"] == 100.0 and note["webo_stripe_refundable"] == 0
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert_fault(refused, "n'a pas été payée par carte ou prélèvement SEPA", code=USER_ERROR)
    # Nor on the invoice itself.
    with pytest.raises(xmlrpc.client.Fault) as refused:
        designer.execute("account.invoice", "webo_refund_by_stripe", [invoice])
    assert_fault(refused, code=USER_ERROR)
    assert not refunds_at_stripe(stripe_platform, designer)


def test_failed_sepa_refund_reopens_the_credit_note_and_alerts(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    paid_by_stripe(admin, designer, record, stripe_platform, odoo_url, method="sepa_debit")
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    (refund_id,) = designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert refunds_at_stripe(stripe_platform, designer)[0]["status"] == "pending"
    assert read_invoice(designer, credit_note)["state"] == "paid"
    event = stripe_platform.refund_failed(refund_id)
    delivered(admin, odoo_url, event)
    assert post_event(odoo_url, event).text == "duplicate"
    (payment,) = outbound(admin, credit_note)
    assert payment["state"] == "cancelled"
    assert collected_this_month(designer) == (600.0, 0)
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["state", "residual", "webo_stripe_refundable"])
    assert note["state"] == "open" and note["residual"] == 600.0 and note["webo_stripe_refundable"] == 600.0
    (stored,) = admin.execute("webo.stripe.refund", "search_read", [("refund_id", "=", refund_id)],
                              fields=["state", "failure_reason"])
    assert (stored["state"], stored["failure_reason"]) == ("failed", "declined")
    notes = designer.execute("mail.message", "search_read", [
        ("model", "=", "account.invoice"), ("res_id", "=", credit_note)], fields=["subject", "body"])
    assert any("Échec du remboursement" in (n["subject"] or "") for n in notes), notes


def test_two_clicks_at_once_refund_once(shop, admin, rpc, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    sessions = [rpc(designer.login) for _index in range(2)]
    start = threading.Barrier(2)
    answers = []

    def click(session):
        start.wait()
        try:
            answers.append(session.execute("account.invoice", "webo_refund_by_stripe", [credit_note]))
        except xmlrpc.client.Fault as fault:
            answers.append(fault.faultString)

    threads = [threading.Thread(target=click, args=(session,)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (refund,) = refunds_at_stripe(stripe_platform, designer)
    # One click refunds; the other waited for it, then found nothing left.
    (refused,) = [answer for answer in answers if isinstance(answer, str)]
    assert [answer for answer in answers if isinstance(answer, list)] == [[refund["id"]]]
    assert "ne peut être remboursé par Stripe" in refused
    assert len(outbound(admin, credit_note)) == 1
    assert read_invoice(designer, credit_note)["state"] == "paid"


def test_a_dashboard_refund_is_booked_once_against_the_credit_note(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    session = paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    event = stripe_platform.dashboard_refund(session["id"])
    delivered(admin, odoo_url, event)
    assert post_event(odoo_url, event).text == "duplicate"
    (note,) = designer.execute("account.invoice", "read", [credit_note],
                               ["state", "residual", "webo_stripe_refundable"])
    assert (note["state"], note["residual"], note["webo_stripe_refundable"]) == ("paid", 0.0, 0.0)
    (payment,) = outbound(admin, credit_note)
    assert payment["amount"] == 600.0 and payment["state"] == "posted"
    (stored,) = admin.execute("webo.stripe.refund", "search_read", [("credit_note_id", "=", credit_note)],
                              fields=["refund_id", "outside", "state"])
    assert stored["outside"] and stored["state"] == "succeeded"
    assert stored["refund_id"] == refunds_at_stripe(stripe_platform, designer)[0]["id"]
    # Stripe's charge.refunded that follows changes nothing more.
    delivered(admin, odoo_url, stripe_platform.refund_settled(stored["refund_id"]))
    assert len(outbound(admin, credit_note)) == 1
    # Nothing is left to refund from webo.
    with pytest.raises(xmlrpc.client.Fault):
        designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note])
    assert len(refunds_at_stripe(stripe_platform, designer)) == 1


def test_a_dashboard_refund_without_credit_note_is_a_payment_to_the_client_and_an_alert(
        shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    session = paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    delivered(admin, odoo_url, stripe_platform.dashboard_refund(session["id"], 10000))
    assert read_invoice(designer, invoice)["state"] == "paid"
    (stored,) = admin.execute("webo.stripe.refund", "search_read", [("checkout_id.invoice_id", "=", invoice)],
                              fields=["credit_note_id", "outside", "amount", "payment_id"])
    assert (stored["credit_note_id"], stored["outside"], stored["amount"]) == (False, True, 100.0)
    (payment,) = admin.execute("account.payment", "read", [stored["payment_id"][0]],
                               ["payment_type", "partner_type", "amount", "state", "invoice_ids"])
    assert (payment["payment_type"], payment["partner_type"], payment["amount"], payment["state"]) == (
        "outbound", "customer", 100.0, "posted")
    assert payment["invoice_ids"] == []
    alerts = designer.execute("mail.message", "search_read", [
        ("model", "=", "account.invoice"), ("res_id", "=", invoice),
        ("subject", "like", "Remboursement effectué dans Stripe")], fields=["body"])
    assert len(alerts) == 1 and "avoir" in alerts[0]["body"]


def test_webos_own_refund_is_not_booked_again_from_its_created_event(shop, admin, stripe_platform, odoo_url):
    designer, _company, invoice, record, _address = shop
    paid_by_stripe(admin, designer, record, stripe_platform, odoo_url)
    credit_note = designer.execute("account.invoice", "webo_cancel_with_credit_note", [invoice])
    (refund_id,) = designer.execute("account.invoice", "webo_refund_by_stripe", [credit_note], 100.0)
    delivered(admin, odoo_url, stripe_platform.refund_created(refund_id))
    assert len(outbound(admin, credit_note)) == 1
    assert admin.execute("webo.stripe.refund", "search_count", [("outside", "=", True),
                                                                 ("credit_note_id", "=", credit_note)]) == 0
