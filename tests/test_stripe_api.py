"""The loopback Stripe API answers the pinned ``stripe`` library as Stripe
does: the version the library sends, the platform's key, the connected
account in ``Stripe-Account`` where Stripe requires it, Stripe's error
format; and its webhook signatures are the ones the library verifies."""
import time

import pytest
import stripe
from stripe_api import API_VERSION, SECRET_KEY, WEBHOOK_SECRET


@pytest.fixture()
def client(stripe_api):
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": stripe_api.base})


def session_params(amount=12000):
    return {"mode": "payment", "payment_method_types": ["card", "sepa_debit"],
            "line_items": [{"quantity": 1, "price_data": {
                "currency": "eur", "unit_amount": amount, "product_data": {"name": "FAC/2026/0001"}}}],
            "client_reference_id": "FAC/2026/0001", "metadata": {"invoice_id": "7"},
            "success_url": "https://example.org/ok", "cancel_url": "https://example.org/back"}


def test_the_library_pins_the_api_version_the_replies_follow():
    assert stripe.api_version == API_VERSION


def test_an_account_then_a_session_on_it(client, stripe_api):
    account = client.v1.accounts.create({
        "type": "custom", "country": "FR", "business_type": "individual", "email": "a@example.org",
        "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
        "external_account": {"object": "bank_account", "country": "FR", "currency": "eur",
                             "account_number": "FR7630006000011234567890189"}})
    assert account.id.startswith("acct_") and account.type == "custom"
    assert account.external_accounts.data[0].last4 == "0189"
    assert client.v1.accounts.retrieve(account.id).email == "a@example.org"
    request = stripe_api.requests[-1]
    assert (request["secret"], request["version"], request["account"]) == (SECRET_KEY, API_VERSION, None)

    session = client.v1.checkout.sessions.create(session_params(), {"stripe_account": account.id})
    assert (session.amount_total, session.currency, session.payment_status) == (12000, "eur", "unpaid")
    assert session.url.startswith(stripe_api.base)
    assert stripe_api.requests[-1]["account"] == account.id
    event = stripe_api.pay(session.id)
    assert event["type"] == "checkout.session.completed" and event["account"] == account.id
    again = client.v1.checkout.sessions.retrieve(session.id, options={"stripe_account": account.id})
    assert again.payment_status == "paid"
    intent = client.v1.payment_intents.retrieve(again.payment_intent, options={"stripe_account": account.id})
    assert intent.status == "succeeded" and intent.amount_received == 12000
    retrieved = client.v1.events.retrieve(event["id"], options={"stripe_account": account.id})
    assert retrieved.type == event["type"]


def test_refusals_in_stripe_format(client, stripe_api):
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_other", base_addresses={"api": stripe_api.base}).v1.accounts.create({})
    with pytest.raises(stripe.PermissionError):
        client.v1.checkout.sessions.create(session_params(), {"stripe_account": "acct_UNKNOWN"})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.checkout.sessions.create(session_params())  # no Stripe-Account
    assert refused.value.code == "parameter_missing"
    stripe_api.refuse_next("/v1/accounts", "Invalid IBAN", code="invalid_value",
                          param="external_account[account_number]")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create({"type": "custom"})
    assert (refused.value.param, refused.value.user_message) == ("external_account[account_number]",
                                                                 "Invalid IBAN")
    account = client.v1.accounts.create({"type": "custom"})
    session = client.v1.checkout.sessions.create(session_params(), {"stripe_account": account.id})
    other = client.v1.accounts.create({"type": "custom"})
    with pytest.raises(stripe.InvalidRequestError):  # another account's session
        client.v1.checkout.sessions.retrieve(session.id, options={"stripe_account": other.id})


def test_events_are_signed_as_the_library_verifies(client, stripe_api):
    account = client.v1.accounts.create({"type": "custom"})
    session = client.v1.checkout.sessions.create(session_params(), {"stripe_account": account.id})
    event = stripe_api.pay(session.id, method="sepa_debit")
    assert event["data"]["object"]["payment_status"] == "unpaid"
    payload, header = stripe_api.signed(event)
    verified = stripe.Webhook.construct_event(payload, header, WEBHOOK_SECRET)
    assert verified.id == event["id"] and verified.account == account.id
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stripe_api.signed(event, "whsec_other")[1], WEBHOOK_SECRET)
    old = stripe_api.signed(event, timestamp=time.time() - 301)[1]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, old, WEBHOOK_SECRET)
    settled = stripe_api.settle(session.id)
    assert settled["type"] == "checkout.session.async_payment_succeeded"
    assert settled["data"]["object"]["payment_status"] == "paid"
