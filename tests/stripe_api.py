"""Stripe's API on loopback, for the ``stripe`` library the addons use.

A plain HTTP server on 127.0.0.1 (the library is pointed at it through its
API base address, the platform's system parameter
``webo_sale.stripe_api_base``) answering the endpoints the payment account
needs, with objects shaped as Stripe's API reference documents them for
the API version the pinned library sends (``API_VERSION``):

- ``GET /checkout/pay/{session}``: the hosted payment page the session's
  ``url`` leads to (a page naming the session, for the browser test);
- ``POST /v1/accounts``, ``GET`` and ``DELETE /v1/accounts/{id}``:
  Connect accounts (the platform's key, no ``Stripe-Account``);
- ``POST /v1/checkout/sessions``, ``GET /v1/checkout/sessions/{id}``,
  ``GET /v1/payment_intents/{id}``, ``GET /v1/events/{id}``: objects of a
  connected account, reached with the platform's key and the account in
  the ``Stripe-Account`` header, as for Stripe's direct charges;
- ``POST /v1/files`` (multipart, at the files host the library sends
  uploads to: this server too), ``POST /v1/accounts/{id}`` (update: the
  verification documents, ``external_account``), ``POST
  /v1/accounts/{id}/persons``: a connected account's verification files,
  uploaded with its ``Stripe-Account`` (``GET /v1/accounts/{id}/persons``
  and ``POST /v1/accounts/{id}/persons/{person}`` list and update the
  persons); the documents attached to the
  account or its persons must be its own files, of the purpose the field
  takes.

A session's ``payment_intent_data[application_fee_amount]`` (at most the
amount) is the platform's part of the payment: Stripe takes it when the
charge succeeds (a card at once, a SEPA debit when it settles; a failed
debit takes nothing), as an Application Fee (``GET
/v1/application_fees/{id}``, the platform's object: its key, no
``Stripe-Account``) named by the charge (``application_fee``), the charge
being the payment intent's ``latest_charge`` (``expand[]=latest_charge``
gives it whole). ``POST /v1/application_fees/{id}/refunds`` gives (part
of) a fee back to the connected account (``fee_refund``).

Refunds (``POST /v1/refunds``, ``GET /v1/refunds/{id}``, ``refund.created``
for each, ``dashboard_refund`` for one made in Stripe's dashboard) are those of a
connected account's payment intents, reached like them (platform key and
``Stripe-Account``); a card refund succeeds at once, a SEPA debit's is
``pending`` until ``refund_settled`` (``charge.refunded``) or
``refund_failed`` (``refund.updated``, status ``failed``). Stripe replays
a request with the same ``Idempotency-Key`` with its first answer.

Saved payment methods (a subscription paid automatically), of connected
accounts, reached like their payments: ``POST /v1/customers``; ``POST
/v1/checkout/sessions`` in ``setup`` mode (its setup intent made with it,
``setup_intent_data`` its metadata); ``GET /v1/setup_intents/{id}``,
``/v1/payment_methods/{id}``, ``/v1/mandates/{id}``; ``POST
/v1/payment_methods/{id}/detach`` (a SEPA debit's mandate then inactive);
``POST /v1/payment_intents`` with ``off_session`` and ``confirm``: a card
succeeds at once, a SEPA debit is ``processing`` (``intent_settled``);
``decline_next`` makes the next one fail as the bank would (402,
``card_error``, the payment intent in the error). ``complete_setup`` plays
the client registering a card or an IBAN on the hosted page. Stripe replays
a request with the same ``Idempotency-Key`` with its first answer.

Like Stripe, it refuses a request without the platform's secret key (401),
with another ``Stripe-Version`` (400), or for a connected account it does
not know (403), in Stripe's error format. ``refuse_next`` makes the next
request to a path fail as Stripe would refuse it (the test names the code,
parameter and message). What the client then does on Stripe's hosted page
is played by ``pay``/``fail``: they change the session and its payment
intent and return the event Stripe would send, which ``signed`` signs as
Stripe signs webhooks (``Stripe-Signature: t=<time>,v1=<HMAC-SHA256 of
"<time>.<payload>" with the endpoint secret>``).
"""
import base64
import email.parser
import email.policy
import hashlib
import hmac
import http.server
import itertools
import json
import threading
import time
import uuid
from urllib.parse import parse_qsl, urlsplit

API_VERSION = "2026-10-28.endive"
SECRET_KEY = "sk_test_weboPlatform0000000000000000"
PUBLISHABLE_KEY = "pk_test_weboPlatform0000000000000000"
WEBHOOK_SECRET = "whsec_weboTestEndpointSecret000000000"


def nested(pairs):
    """Stripe's form encoding (``a[b][0][c]=v``) back to dicts and lists."""
    root = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        if node and all(key.isdigit() for key in node):
            return [listify(node[key]) for key in sorted(node, key=int)]
        return {key: listify(value) for key, value in node.items()}
    return listify(root)


def multipart(content_type, body):
    """The ``(name, value)`` pairs of a multipart/form-data body; a file's
    value is ``(filename, bytes)``."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        filename = part.get_filename()
        pairs.append((name, (filename, content) if filename else content.decode()))
    return pairs


def merged(old, new):
    """``new`` over ``old``, dictionaries merged key by key (an update)."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return new
    return dict(old, **{key: merged(old.get(key), value) for key, value in new.items()})


def error(status, message, type_="invalid_request_error", code=None, param=None):
    body = {"type": type_, "message": message}
    if code:
        body["code"] = code
        body["doc_url"] = "https://docs.stripe.com/error-codes/%s" % code.replace("_", "-")
    if param:
        body["param"] = param
    return status, {"error": body}


class StripeApi:
    def __init__(self, secret_key=SECRET_KEY):
        self.secret_key = secret_key
        self.requests = []  # every request: method, path, params, account, secret, version
        self.accounts = {}  # id -> account
        self.sessions = {}  # id -> (account id, session)
        self.intents = {}  # id -> (account id, payment intent)
        self.events = {}  # id -> event
        self.files = {}  # id -> (account id or None for the platform's, file, content)
        self.persons = {}  # id -> person
        self.fees = {}  # id -> application fee (the platform's)
        self._fee_keys = {}  # Idempotency-Key -> (fee id, params, reply)
        self._intent_data = {}  # session id -> its payment_intent_data
        self._refusals = {}  # path -> error reply
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self.base = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    # What a test sets up or plays

    def refuse_next(self, path, message, code="invalid_value", param=None, status=400):
        """The next request to ``path`` is refused with Stripe's error reply."""
        self._refusals[path] = error(status, message, code=code, param=param)

    def pay(self, session_id, method="card"):
        """The client pays the session on the hosted page: a card is paid at
        once (``checkout.session.completed``, payment_status ``paid``); a
        SEPA debit is only submitted (``completed`` with ``unpaid``), its
        ``async_payment_succeeded`` comes later (``settle``)."""
        with self._lock:
            account, session = self.sessions[session_id]
            intent = self._intent(account, session, method)
            if method == "card":
                self._succeed(account, intent)
            session.update(status="complete", payment_intent=intent["id"],
                           payment_status="paid" if method == "card" else "unpaid")
            return self._event(account, "checkout.session.completed", session)

    def settle(self, session_id, succeeded=True):
        """The SEPA debit of a completed session succeeds or fails (days later)."""
        with self._lock:
            account, session = self.sessions[session_id]
            _account, intent = self.intents[session["payment_intent"]]
            if succeeded:
                self._succeed(account, intent)
                session["payment_status"] = "paid"
                return self._event(account, "checkout.session.async_payment_succeeded", session)
            intent.update(status="requires_payment_method", last_payment_error={
                "type": "invalid_request_error", "code": "insufficient_funds",
                "message": "The account has insufficient funds."})
            return self._event(account, "checkout.session.async_payment_failed", session)

    def account_updated(self, account_id, currently_due=(), verified=False):
        """Stripe reviewed the connected account: something is due, or it
        is verified (charges and payouts enabled); ``account.updated``."""
        with self._lock:
            account = self.accounts[account_id]
            account["requirements"].update(currently_due=list(currently_due), pending_verification=[],
                                           disabled_reason="requirements.past_due" if currently_due else None)
            account.update(charges_enabled=verified, payouts_enabled=verified,
                           details_submitted=True)
            return self._event(account_id, "account.updated", account)

    def intent_event(self, session_id, type_="payment_intent.succeeded"):
        """The event of the session's payment intent (e.g. ``payment_intent.succeeded``)."""
        with self._lock:
            account, session = self.sessions[session_id]
            _account, intent = self.intents[session["payment_intent"]]
            return self._event(account, type_, intent)

    @staticmethod
    def signed(event, secret=WEBHOOK_SECRET, timestamp=None):
        """``(payload bytes, Stripe-Signature header)`` of an event as Stripe posts it."""
        payload = json.dumps(event, indent=2).encode()
        timestamp = int(time.time()) if timestamp is None else int(timestamp)
        signature = hmac.new(secret.encode(), b"%d." % timestamp + payload, hashlib.sha256).hexdigest()
        return payload, "t=%d,v1=%s" % (timestamp, signature)

    def sessions_of(self, account=None):
        return [session for owner, session in self.sessions.values() if account in (None, owner)]

    # Stripe's objects

    def _id(self, prefix):
        # Unique across runs too: the test database keeps earlier runs' ids.
        return "%s_test_%s%04d" % (prefix, uuid.uuid4().hex[:20], next(self._numbers))

    def _intent(self, account, session, method):
        intent = {
            "id": self._id("pi"), "object": "payment_intent", "amount": session["amount_total"],
            "amount_capturable": 0, "amount_received": 0, "currency": session["currency"],
            "created": int(time.time()), "livemode": False, "metadata": dict(session["metadata"]),
            "payment_method_types": [method], "status": "processing", "latest_charge": None,
            "last_payment_error": None, "description": None,
            "application_fee_amount": self._intent_data.get(session["id"], {}).get(
                "application_fee_amount"),
        }
        if intent["application_fee_amount"] is not None:
            intent["application_fee_amount"] = int(intent["application_fee_amount"])
        self.intents[intent["id"]] = (account, intent)
        return intent

    def _succeed(self, account, intent):
        """The payment went through: its charge, and the platform's fee
        taken from it."""
        intent.update(status="succeeded", amount_received=intent["amount"],
                      latest_charge=intent["latest_charge"] or self._id("ch"))
        if intent["application_fee_amount"]:
            fee = {
                "id": self._id("fee"), "object": "application_fee", "account": account,
                "amount": intent["application_fee_amount"], "amount_refunded": 0,
                "application": "ca_webo", "balance_transaction": self._id("txn"),
                "charge": intent["latest_charge"], "created": int(time.time()),
                "currency": intent["currency"], "livemode": False, "originating_transaction": None,
                "refunded": False, "fee_source": {"charge": intent["latest_charge"], "type": "charge"},
                "refunds": {"object": "list", "data": [], "has_more": False, "total_count": 0},
            }
            fee["refunds"]["url"] = "/v1/application_fees/%s/refunds" % fee["id"]
            self.fees[fee["id"]] = fee

    def fees_of(self, account=None):
        """The application fees taken from ``account``'s charges."""
        return [fee for fee in self.fees.values() if account in (None, fee["account"])]

    def _event(self, account, type_, obj):
        event = {
            "id": self._id("evt"), "object": "event", "account": account,
            "api_version": API_VERSION, "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))}, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": type_,
        }
        self.events[event["id"]] = event
        return event

    def _create_account(self, params):
        account = {
            "id": "acct_%s" % uuid.uuid4().hex[:16].upper(),
            "object": "account", "type": params.get("type", "standard"),
            "business_type": params.get("business_type"), "country": params.get("country", "FR"),
            "email": params.get("email"), "default_currency": "eur", "created": int(time.time()),
            "charges_enabled": False, "payouts_enabled": False, "details_submitted": False,
            "capabilities": {name: "inactive" for name in params.get("capabilities", {})},
            "business_profile": params.get("business_profile", {}),
            "metadata": params.get("metadata", {}),
            "requirements": {"currently_due": [], "eventually_due": [], "past_due": [],
                             "pending_verification": ["individual.verification.document"],
                             "disabled_reason": "requirements.pending_verification",
                             "errors": [], "current_deadline": None, "alternatives": []},
            "external_accounts": {"object": "list", "data": [], "has_more": False,
                                  "total_count": 0, "url": "/v1/accounts/{}/external_accounts"},
            "tos_acceptance": params.get("tos_acceptance", {}),
        }
        tos = params.get("tos_acceptance") or {}
        if account["type"] == "custom" and not (tos.get("date") and tos.get("ip")):
            # Custom accounts: the platform tells when and from where the
            # terms were accepted, or Stripe asks for it.
            account["requirements"]["currently_due"] = ["tos_acceptance.date", "tos_acceptance.ip"]
        account["external_accounts"]["url"] = "/v1/accounts/%s/external_accounts" % account["id"]
        self._set_external_account(account, params.get("external_account"))
        self.accounts[account["id"]] = account
        return 200, account

    def _create_session(self, account, params):
        items = params.get("line_items") or []
        if not items or params.get("mode") != "payment":
            return error(400, "You must provide at least one line item in payment mode.",
                         code="parameter_missing", param="line_items")
        total = sum(int(item["price_data"]["unit_amount"]) * int(item.get("quantity", 1))
                    for item in items)
        session = {
            "id": self._id("cs"), "object": "checkout.session", "mode": "payment",
            "amount_subtotal": total, "amount_total": total,
            "currency": items[0]["price_data"]["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"), "livemode": False,
            "metadata": params.get("metadata", {}), "created": int(time.time()),
            "expires_at": int(time.time()) + 24 * 3600, "payment_intent": None,
            "payment_method_types": params.get("payment_method_types", ["card"]),
            "payment_status": "unpaid", "status": "open",
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "locale": params.get("locale"),
        }
        session["url"] = "%s/checkout/pay/%s" % (self.base, session["id"])
        intent_data = params.get("payment_intent_data") or {}
        fee = intent_data.get("application_fee_amount")
        if fee is not None and (not str(fee).isdigit() or int(fee) > total):
            return error(400, "The application_fee_amount must be less than or equal to the amount.",
                         param="payment_intent_data[application_fee_amount]")
        self._intent_data[session["id"]] = intent_data
        self.sessions[session["id"]] = (account, session)
        return 200, session

    def _owned(self, store, object_id, account, label):
        owner, obj = store.get(object_id, (None, None))
        if owner != account:
            return error(404, "No such %s: '%s'" % (label, object_id), code="resource_missing",
                         param="id")
        return 200, obj

    def _answer(self, method, path, params, account, idempotency_key=None):
        if path in self._refusals:
            return self._refusals.pop(path)
        if account is not None and account not in self.accounts:
            return error(403, "The provided key '%s' does not have access to account '%s' (or that "
                              "account does not exist). Application access may have been revoked."
                         % (self.secret_key[:8] + "*" * 4, account), type_="invalid_request_error")
        parts = path.strip("/").split("/")
        documents = self._answer_documents(method, parts, params, account)
        if documents:
            return documents
        if parts[1:2] == ["application_fees"]:
            return self._answer_fees(method, parts, params, account, idempotency_key)
        if parts[1:2] == ["refunds"]:
            return self._answer_refunds(method, parts, params, account, idempotency_key)
        if parts[1:2] in (["customers"], ["setup_intents"], ["payment_methods"], ["mandates"]) or (
                parts[:2] == ["v1", "payment_intents"] and method == "POST") or (
                parts[:3] == ["v1", "checkout", "sessions"] and params.get("mode") == "setup"):
            return self._answer_setups(method, parts, params, account, idempotency_key)
        if parts == ["v1", "accounts"] and method == "POST" and account is None:
            return self._create_account(params)
        if parts[:2] == ["v1", "accounts"] and len(parts) == 3 and method == "GET":
            if parts[2] not in self.accounts:
                return error(404, "No such account: '%s'" % parts[2], code="resource_missing")
            return 200, self.accounts[parts[2]]
        if parts[:2] == ["v1", "accounts"] and len(parts) == 3 and method == "DELETE" and account is None:
            # A platform deletes its custom accounts.
            if self.accounts.pop(parts[2], None) is None:
                return error(404, "No such account: '%s'" % parts[2], code="resource_missing")
            return 200, {"id": parts[2], "object": "account", "deleted": True}
        if account is None and parts[1:2] in (["checkout"], ["payment_intents"], ["events"]):
            return error(400, "This request needs the Stripe-Account header of the connected account "
                              "(direct charges).", code="parameter_missing")
        if parts == ["v1", "checkout", "sessions"] and method == "POST":
            return self._create_session(account, params)
        if parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4 and method == "GET":
            return self._owned(self.sessions, parts[3], account, "checkout.session")
        if parts[:2] == ["v1", "payment_intents"] and len(parts) == 3 and method == "GET":
            status, intent = self._owned(self.intents, parts[2], account, "payment_intent")
            if status == 200 and "latest_charge" in (params.get("expand") or []) and intent["latest_charge"]:
                intent = dict(intent, latest_charge=self._charge_of(account, parts[2]))
            return status, intent
        if parts[:2] == ["v1", "events"] and len(parts) == 3 and method == "GET":
            event = self.events.get(parts[2])
            return self._owned({parts[2]: (event["account"], event)} if event else {}, parts[2],
                               account, "event")
        return error(404, "Unrecognized request URL (%s: %s)." % (method, path))

    # Verification documents of connected accounts (files, account
    # update, persons)

    # The file purpose each document field takes (Stripe's API reference).
    DOCUMENT_FIELDS = {
        ("individual", "verification", "document"): "identity_document",
        ("individual", "verification", "additional_document"): "identity_document",
        ("company", "verification", "document"): "additional_verification",
        ("verification", "document"): "identity_document",
        ("verification", "additional_document"): "identity_document",
        ("documents", "bank_account_ownership_verification"): "account_requirement",
        ("documents", "proof_of_registration"): "additional_verification",
        ("documents", "proof_of_address"): "additional_verification",
        ("documents", "company_registration_verification"): "additional_verification",
    }
    FILE_PURPOSES = ("account_requirement", "additional_verification", "business_icon",
                     "business_logo", "customer_signature", "dispute_evidence",
                     "identity_document", "pci_document", "tax_document_user_upload")

    def _answer_documents(self, method, parts, params, account):
        """The files, account-update and persons endpoints; None for others."""
        if parts == ["v1", "files"] and method == "POST":
            return self._upload(params, account)
        if parts[:2] == ["v1", "accounts"] and len(parts) in (3, 4, 5) and (
                method == "POST" or parts[3:4] == ["persons"]):
            target = self.accounts.get(parts[2])
            if target is None or (account is not None and account != parts[2]):
                return error(404, "No such account: '%s'" % parts[2], code="resource_missing",
                             param="account")
            if len(parts) == 3:
                return self._update_account(target, params)
            if len(parts) == 4 and method == "GET":
                return self._list_persons(target, params)
            if len(parts) == 4:
                return self._create_person(target, params)
            return self._update_person(target, parts[4], params)
        return None

    def _upload(self, params, account):
        purpose, upload = params.get("purpose"), params.get("file")
        if purpose not in self.FILE_PURPOSES:
            return error(400, "Invalid purpose: must be one of %s" % ", ".join(self.FILE_PURPOSES),
                         param="purpose")
        if not isinstance(upload, tuple):
            return error(400, "Missing required param: file.", code="parameter_missing", param="file")
        filename, content = upload
        kind = {b"%PDF": "pdf", b"\x89PNG": "png", b"\xff\xd8\xff\xe0": "jpg",
                b"\xff\xd8\xff\xe1": "jpg", b"\xff\xd8\xff\xdb": "jpg"}.get(content[:4])
        if not kind:
            return error(400, "The file you uploaded is not a supported type: upload a PDF, JPEG "
                              "or PNG.", param="file")
        created = int(time.time())
        file = {"id": self._id("file"), "object": "file", "created": created,
                "expires_at": created + 2 * 365 * 24 * 3600, "filename": filename,
                "links": {"object": "list", "data": [], "has_more": False, "url": "/v1/file_links"},
                "purpose": purpose, "size": len(content), "title": None, "type": kind, "url": None}
        self.files[file["id"]] = (account, file, content)
        return 200, file

    def _check_files(self, params, account_id, prefix=()):
        """Stripe's refusal of a document that is not a file of this account
        of the purpose its field takes, or None."""
        for key, value in (params or {}).items():
            path = (*prefix, key)
            if not isinstance(value, dict):
                continue
            purpose = self.DOCUMENT_FIELDS.get(path)
            if purpose is None:
                refusal = self._check_files(value, account_id, path)
                if refusal:
                    return refusal
                continue
            ids = value.get("files") or [value.get(side) for side in ("front", "back")]
            for file_id in filter(None, ids):
                owner, file, _content = self.files.get(file_id, (False, None, None))
                name = "%s[%s]" % (path[0], "][".join(path[1:]))
                if owner != account_id:
                    return error(400, "No such file upload: '%s'" % file_id, code="resource_missing",
                                 param=name)
                if file["purpose"] != purpose:
                    return error(400, "The file '%s' has purpose '%s', but %s takes a file of "
                                      "purpose '%s'." % (file_id, file["purpose"], name, purpose),
                                 param=name)
        return None

    def _update_account(self, account, params):
        refusal = self._check_files(params, account["id"])
        if refusal:
            return refusal
        for key in ("individual", "company", "documents", "tos_acceptance", "business_profile"):
            if key in params:
                account.setdefault(key, {})
                account[key] = merged(account[key], params[key])
        self._set_external_account(account, params.get("external_account"))
        if params.get("tos_acceptance", {}).get("ip"):
            account["requirements"]["currently_due"] = [
                item for item in account["requirements"]["currently_due"]
                if not item.startswith("tos_acceptance")]
        return 200, account

    def _set_external_account(self, account, bank):
        """The payout bank account given at creation or update: as at
        Stripe, it becomes the default for its currency and the previous
        default is deleted."""
        if not isinstance(bank, dict):
            return
        number = bank.get("account_number", "")
        account["external_accounts"].update(total_count=1, data=[{
            "id": self._id("ba"), "object": "bank_account", "account": account["id"],
            "country": bank.get("country"), "currency": bank.get("currency"),
            "account_holder_name": bank.get("account_holder_name"),
            "last4": number[-4:], "status": "new", "default_for_currency": True}])

    def _list_persons(self, account, params):
        """``GET /v1/accounts/{id}/persons``, filtered by ``relationship``."""
        wanted = {key for key, value in (params.get("relationship") or {}).items() if value == "true"}
        persons = [person for person in self.persons.values() if person["account"] == account["id"]
                   and all((person.get("relationship") or {}).get(key) == "true" for key in wanted)]
        limit = int(params.get("limit") or 10)
        return 200, {"object": "list", "data": persons[:limit], "has_more": len(persons) > limit,
                     "url": "/v1/accounts/%s/persons" % account["id"]}

    def _update_person(self, account, person_id, params):
        person = self.persons.get(person_id)
        if person is None or person["account"] != account["id"]:
            return error(404, "No such person: '%s'" % person_id, code="resource_missing", param="person")
        refusal = self._check_files(params, account["id"])
        if refusal:
            return refusal
        person.update(merged(person, params))
        person["verification"]["status"] = "pending"
        return 200, person

    def _create_person(self, account, params):
        refusal = self._check_files(params, account["id"])
        if refusal:
            return refusal
        person = dict(params, id=self._id("person"), object="person", account=account["id"],
                      created=int(time.time()))
        person["verification"] = dict(params.get("verification") or {}, status="pending")
        self.persons[person["id"]] = person
        return 200, person

    # Refunds (Stripe's API reference: "Refunds"), of connected accounts'
    # payment intents.

    def refunds_of(self, account=None):
        return [refund for owner, refund in self._refund_store().values() if account in (None, owner)]

    def refund_settled(self, refund_id):
        """A pending refund (SEPA) went through: ``charge.refunded``."""
        with self._lock:
            account, refund = self._refund_store()[refund_id]
            refund["status"] = "succeeded"
            return self._event(account, "charge.refunded", self._charge_of(account, refund["payment_intent"]))

    def dashboard_refund(self, session_id, amount=None):
        """Somebody refunds the session's payment in Stripe's dashboard (no
        metadata of webo's): ``refund.created``."""
        with self._lock:
            account, session = self.sessions[session_id]
            params = {"payment_intent": session["payment_intent"]}
            if amount is not None:
                params["amount"] = str(amount)
            status, refund = self._create_refund(account, params)
            assert status == 200, refund
            return self._event(account, "refund.created", refund)

    def refund_created(self, refund_id):
        """The ``refund.created`` event of a refund (every refund has one)."""
        with self._lock:
            account, refund = self._refund_store()[refund_id]
            return self._event(account, "refund.created", refund)

    def refund_failed(self, refund_id, reason="declined"):
        """The bank returned the refund: ``refund.updated``, status ``failed``."""
        with self._lock:
            account, refund = self._refund_store()[refund_id]
            refund.update(status="failed", failure_reason=reason)
            return self._event(account, "refund.updated", refund)

    def _refund_store(self):
        if not hasattr(self, "_refunds"):
            self._refunds = {}  # id -> (account id, refund)
            self._refund_keys = {}  # (account, Idempotency-Key) -> (params, reply)
        return self._refunds

    def _charge_of(self, account, intent_id):
        """The charge of a payment intent, with what was refunded of it."""
        _account, intent = self.intents[intent_id]
        if not intent["latest_charge"]:
            intent["latest_charge"] = self._id("ch")
        fee = [fee["id"] for fee in self.fees.values() if fee["charge"] == intent["latest_charge"]]
        refunded = sum(refund["amount"] for owner, refund in self._refund_store().values()
                       if refund["payment_intent"] == intent_id and refund["status"] != "failed")
        return {"id": intent["latest_charge"], "object": "charge", "amount": intent["amount"],
                "amount_captured": intent["amount_received"], "amount_refunded": refunded,
                "currency": intent["currency"], "payment_intent": intent_id,
                "refunded": refunded >= intent["amount_received"], "status": "succeeded",
                "metadata": dict(intent["metadata"]), "livemode": False, "created": intent["created"],
                "application_fee": fee[0] if fee else None,
                "application_fee_amount": intent["application_fee_amount"]}

    # Application fees (Stripe's API reference: "Application Fees", "Application
    # Fee Refunds"): the platform's, read and refunded with its key only.

    def _answer_fees(self, method, parts, params, account, idempotency_key):
        if account is not None:
            return error(400, "Application fees belong to the platform: make this request without "
                              "the Stripe-Account header.", param="Stripe-Account")
        fee = self.fees.get(parts[2]) if len(parts) > 2 else None
        if fee is None:
            return error(404, "No such application fee: '%s'" % (parts[2:3] or [""])[0],
                         code="resource_missing", param="id")
        if method == "GET" and len(parts) == 3:
            return 200, fee
        if method != "POST" or parts[3:] != ["refunds"]:
            return error(404, "Unrecognized request URL (%s: /%s)." % (method, "/".join(parts)))
        if idempotency_key and idempotency_key in self._fee_keys:
            fee_id, first, reply = self._fee_keys[idempotency_key]
            if (fee_id, first) != (fee["id"], params):
                return error(400, "Keys for idempotent requests can only be used with the same "
                                  "parameters they were first used with.", type_="idempotency_error")
            return reply
        reply = self._refund_fee(fee, params)
        if idempotency_key:
            self._fee_keys[idempotency_key] = (fee["id"], params, reply)
        return reply

    @staticmethod
    def _refund_fee(fee, params):
        left = fee["amount"] - fee["amount_refunded"]
        amount = params.get("amount", left)
        if not str(amount).isdigit() or int(amount) <= 0:
            return error(400, "Invalid positive integer", param="amount")
        if int(amount) > left:
            return error(400, "Refund amount (€%.2f) is greater than unrefunded amount on fee (€%.2f)"
                         % (int(amount) / 100, left / 100), param="amount")
        refund = {"id": "fr_test_%s" % uuid.uuid4().hex[:20], "object": "fee_refund",
                  "amount": int(amount), "balance_transaction": None, "created": int(time.time()),
                  "currency": fee["currency"], "fee": fee["id"], "metadata": params.get("metadata", {})}
        fee["amount_refunded"] += refund["amount"]
        fee["refunded"] = fee["amount_refunded"] >= fee["amount"]
        fee["refunds"]["data"].insert(0, refund)
        fee["refunds"]["total_count"] += 1
        return 200, refund

    def _answer_refunds(self, method, parts, params, account, idempotency_key):
        store = self._refund_store()
        if account is None:
            return error(400, "This request needs the Stripe-Account header of the connected account "
                              "(direct charges).", code="parameter_missing")
        if method == "GET" and len(parts) == 3:
            return self._owned(store, parts[2], account, "refund")
        if method != "POST" or len(parts) != 2:
            return error(404, "Unrecognized request URL (%s: /%s)." % (method, "/".join(parts)))
        if idempotency_key and (account, idempotency_key) in self._refund_keys:
            first, reply = self._refund_keys[(account, idempotency_key)]
            if first != params:
                return error(400, "Keys for idempotent requests can only be used with the same "
                                  "parameters they were first used with. Try using a key other than "
                                  "'%s' if you meant to execute a different request." % idempotency_key,
                             type_="idempotency_error")
            return reply
        reply = self._create_refund(account, params)
        if idempotency_key:
            self._refund_keys[(account, idempotency_key)] = (params, reply)
        return reply

    def _create_refund(self, account, params):
        intent_id = params.get("payment_intent")
        owner, intent = self.intents.get(intent_id, (None, None))
        if owner != account:
            return error(400, "No such payment_intent: '%s'" % intent_id, code="resource_missing",
                         param="payment_intent")
        if intent["status"] != "succeeded":
            return error(400, "This PaymentIntent (%s) does not have a successful charge to refund."
                         % intent_id, code="charge_not_refundable")
        charge = self._charge_of(account, intent_id)
        left = charge["amount_captured"] - charge["amount_refunded"]
        amount = int(params.get("amount", left))
        if left <= 0:
            return error(400, "Charge %s has already been refunded." % charge["id"],
                         code="charge_already_refunded")
        if amount > left:
            return error(400, "Refund amount (€%.2f) is greater than unrefunded amount on charge "
                              "(€%.2f)" % (amount / 100, left / 100), param="amount")
        sepa = intent["payment_method_types"] == ["sepa_debit"]
        refund = {
            "id": self._id("re"), "object": "refund", "amount": amount, "charge": charge["id"],
            "currency": intent["currency"], "created": int(time.time()),
            "payment_intent": intent_id, "metadata": params.get("metadata", {}),
            "reason": params.get("reason"), "status": "pending" if sepa else "succeeded",
            "failure_reason": None, "balance_transaction": self._id("txn"),
            "destination_details": {"type": "sepa_debit" if sepa else "card"},
        }
        self._refund_store()[refund["id"]] = (account, refund)
        return 200, refund

    # Saved payment methods and off-session payments (Stripe's API
    # reference: "Customers", "Checkout Sessions" in ``setup`` mode,
    # "SetupIntents", "PaymentMethods", "Mandates", "PaymentIntents" with
    # ``off_session``), of connected accounts.

    def _setup_store(self):
        if not hasattr(self, "_customers"):
            self._customers = {}  # id -> (account id, customer)
            self._setup_intents = {}  # id -> (account id, setup intent)
            self._payment_methods = {}  # id -> (account id, payment method)
            self._mandates = {}  # id -> (account id, mandate)
            self._setup_keys = {}  # (account, Idempotency-Key) -> (params, reply)
            self._declines = {}  # payment method id -> error code of its next off-session payment
        return self._customers

    def complete_setup(self, session_id, method="card", last4=None):
        """The client registers a card (or an IBAN: a SEPA mandate) on the
        hosted page of a setup session: ``checkout.session.completed``."""
        with self._lock:
            self._setup_store()
            account, session = self.sessions[session_id]
            _account, intent = self._setup_intents[session["setup_intent"]]
            details = {"last4": last4 or ("4242" if method == "card" else "3000")}
            if method == "card":
                details.update(brand="visa", exp_month=12, exp_year=2030, country="FR", funding="credit")
            else:
                details.update(country="FR", bank_code="37040", branch_code=None, fingerprint="fp")
            payment_method = {
                "id": self._id("pm"), "object": "payment_method", "type": method, method: details,
                "customer": session["customer"], "created": int(time.time()), "livemode": False,
                "billing_details": {"email": None, "name": None}, "metadata": {},
            }
            self._payment_methods[payment_method["id"]] = (account, payment_method)
            mandate = None
            if method == "sepa_debit":
                mandate = {
                    "id": self._id("mandate"), "object": "mandate", "payment_method": payment_method["id"],
                    "status": "active", "type": "multi_use", "livemode": False,
                    "customer_acceptance": {"type": "online", "accepted_at": int(time.time()),
                                            "online": {"ip_address": "127.0.0.1", "user_agent": "browser"}},
                    "payment_method_details": {"type": "sepa_debit", "sepa_debit": {
                        "reference": uuid.uuid4().hex[:16].upper(), "url": "https://stripe.com/mandate"}},
                }
                self._mandates[mandate["id"]] = (account, mandate)
            intent.update(status="succeeded", payment_method=payment_method["id"],
                          payment_method_types=[method], mandate=mandate and mandate["id"])
            session.update(status="complete")
            return self._event(account, "checkout.session.completed", session)

    def setup_intent_event(self, session_id, type_="setup_intent.succeeded"):
        with self._lock:
            account, session = self.sessions[session_id]
            return self._event(account, type_, self._setup_intents[session["setup_intent"]][1])

    def decline_next(self, payment_method_id, code="card_declined"):
        """The next off-session payment with this method fails as the bank
        answers: ``card_declined``, ``authentication_required`` (3-D Secure
        wanted, the client is not there)."""
        with self._lock:
            self._setup_store()
            self._declines[payment_method_id] = code

    def payment_intents_of(self, account=None, off_session=True):
        return [intent for owner, intent in self.intents.values()
                if account in (None, owner) and intent.get("off_session", False) == off_session]

    def intent_settled(self, intent_id, succeeded=True):
        """An off-session SEPA debit (``processing``) went through or not:
        ``payment_intent.succeeded`` / ``payment_intent.payment_failed``."""
        with self._lock:
            account, intent = self.intents[intent_id]
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                return self._event(account, "payment_intent.succeeded", intent)
            intent.update(status="requires_payment_method", last_payment_error={
                "type": "invalid_request_error", "code": "insufficient_funds",
                "message": "The account has insufficient funds."})
            return self._event(account, "payment_intent.payment_failed", intent)

    def intent_event_of(self, intent_id, type_="payment_intent.succeeded"):
        with self._lock:
            account, intent = self.intents[intent_id]
            return self._event(account, type_, intent)

    def _answer_setups(self, method, parts, params, account, idempotency_key):
        self._setup_store()
        if account is None:
            return error(400, "This request needs the Stripe-Account header of the connected account "
                              "(direct charges).", code="parameter_missing")
        stores = {"customers": (self._customers, "customer"),
                  "setup_intents": (self._setup_intents, "setup_intent"),
                  "payment_methods": (self._payment_methods, "payment_method"),
                  "mandates": (self._mandates, "mandate"),
                  "payment_intents": (self.intents, "payment_intent")}
        if method == "GET" and len(parts) == 3 and parts[1] in stores:
            store, label = stores[parts[1]]
            return self._owned(store, parts[2], account, label)
        if method != "POST":
            return error(404, "Unrecognized request URL (%s: /%s)." % (method, "/".join(parts)))
        if idempotency_key and (account, idempotency_key) in self._setup_keys:
            first, reply = self._setup_keys[(account, idempotency_key)]
            if first != params:
                return error(400, "Keys for idempotent requests can only be used with the same "
                                  "parameters they were first used with.", type_="idempotency_error")
            return reply
        if parts == ["v1", "customers"]:
            reply = self._create_customer(account, params)
        elif parts == ["v1", "checkout", "sessions"]:
            reply = self._create_setup_session(account, params)
        elif parts == ["v1", "payment_intents"]:
            reply = self._create_off_session_intent(account, params)
        elif parts[:2] == ["v1", "payment_methods"] and parts[3:] == ["detach"]:
            reply = self._detach(account, parts[2])
        else:
            reply = error(404, "Unrecognized request URL (%s: /%s)." % (method, "/".join(parts)))
        if idempotency_key:
            self._setup_keys[(account, idempotency_key)] = (params, reply)
        return reply

    def _create_customer(self, account, params):
        customer = {"id": self._id("cus"), "object": "customer", "email": params.get("email"),
                    "name": params.get("name"), "metadata": params.get("metadata", {}),
                    "created": int(time.time()), "livemode": False,
                    "invoice_settings": {"default_payment_method": None}}
        self._customers[customer["id"]] = (account, customer)
        return 200, customer

    def _create_setup_session(self, account, params):
        customer = params.get("customer")
        if customer and self._customers.get(customer, (None,))[0] != account:
            return error(400, "No such customer: '%s'" % customer, code="resource_missing", param="customer")
        metadata = params.get("metadata", {})
        intent_data = params.get("setup_intent_data") or {}
        intent = {"id": self._id("seti"), "object": "setup_intent", "customer": customer,
                  "status": "requires_payment_method", "usage": "off_session", "payment_method": None,
                  "mandate": None, "payment_method_types": params.get("payment_method_types", ["card"]),
                  "description": intent_data.get("description"),
                  "metadata": intent_data.get("metadata", {}), "created": int(time.time()),
                  "livemode": False, "last_setup_error": None}
        self._setup_intents[intent["id"]] = (account, intent)
        session = {
            "id": self._id("cs"), "object": "checkout.session", "mode": "setup",
            "amount_subtotal": None, "amount_total": None, "currency": params.get("currency"),
            "customer": customer, "livemode": False, "metadata": metadata,
            "created": int(time.time()), "expires_at": int(time.time()) + 24 * 3600,
            "payment_intent": None, "setup_intent": intent["id"],
            "payment_method_types": intent["payment_method_types"], "payment_status": "no_payment_required",
            "status": "open", "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"), "locale": params.get("locale"),
        }
        session["url"] = "%s/checkout/pay/%s" % (self.base, session["id"])
        self.sessions[session["id"]] = (account, session)
        return 200, session

    def _detach(self, account, method_id):
        owner, payment_method = self._payment_methods.get(method_id, (None, None))
        if owner != account:
            return error(404, "No such PaymentMethod: '%s'" % method_id, code="resource_missing", param="id")
        if not payment_method["customer"]:
            return error(400, "The payment method you provided is not attached to a customer so "
                              "detachment is impossible.", code="payment_method_unexpected_state")
        payment_method["customer"] = None
        for _owner, mandate in self._mandates.values():
            if mandate["payment_method"] == method_id:
                mandate["status"] = "inactive"
        return 200, payment_method

    def _create_off_session_intent(self, account, params):
        method_id, customer = params.get("payment_method"), params.get("customer")
        owner, payment_method = self._payment_methods.get(method_id, (None, None))
        if owner != account:
            return error(400, "No such PaymentMethod: '%s'" % method_id, code="resource_missing",
                         param="payment_method")
        if not customer or payment_method["customer"] != customer:
            return error(400, "The provided PaymentMethod was previously used with a PaymentIntent "
                              "without Customer attachment, shared with a connected account without "
                              "Customer attachment, or was detached from a Customer. It may not be "
                              "used again.", param="payment_method")
        sepa = payment_method["type"] == "sepa_debit"
        if sepa and not any(m["status"] == "active" and m["payment_method"] == method_id
                            for _owner, m in self._mandates.values()):
            return error(400, "The mandate of this PaymentMethod is not active.", param="mandate")
        intent = {
            "id": self._id("pi"), "object": "payment_intent", "amount": int(params["amount"]),
            "amount_capturable": 0, "amount_received": 0, "currency": params["currency"],
            "created": int(time.time()), "livemode": False, "metadata": params.get("metadata", {}),
            "customer": customer, "payment_method": method_id, "mandate": params.get("mandate"),
            "payment_method_types": [payment_method["type"]], "status": "processing",
            "latest_charge": None, "last_payment_error": None, "description": params.get("description"),
            "off_session": params.get("off_session") == "true", "confirmation_method": "automatic",
        }
        self.intents[intent["id"]] = (account, intent)
        code = self._declines.pop(method_id, None)
        if code:
            message = {"authentication_required": "This payment requires authentication by the "
                                                  "cardholder.",
                       "card_declined": "Your card was declined."}.get(code, "Your card was declined.")
            intent.update(status="requires_payment_method", last_payment_error={
                "type": "card_error", "code": code, "message": message, "payment_method": payment_method})
            self._event(account, "payment_intent.payment_failed", intent)
            status, body = error(402, message, type_="card_error", code=code)
            body["error"].update(payment_intent=json.loads(json.dumps(intent)),
                                 payment_method=payment_method, decline_code=code)
            return status, body
        if not sepa:
            intent.update(status="succeeded", amount_received=intent["amount"])
            self._event(account, "payment_intent.succeeded", intent)
        return 200, intent

    def _handler(self):
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _serve(self):
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                content_type = self.headers.get("Content-Type") or ""
                if content_type.startswith("multipart/form-data"):
                    params = nested(parse_qsl(url.query) + multipart(content_type, raw))
                else:
                    params = nested(parse_qsl(url.query) + parse_qsl(raw.decode()))
                auth = self.headers.get("Authorization", "")
                secret = auth[7:] if auth.startswith("Bearer ") else None
                if auth.startswith("Basic "):
                    secret = base64.b64decode(auth[6:]).decode().split(":")[0]
                if self.command == "GET" and url.path.startswith("/checkout/pay/"):
                    return self._hosted_page(url.path.rsplit("/", 1)[-1])
                if self.command == "GET" and url.path == "/favicon.ico":  # the browser's, on the page
                    self.send_response(204)
                    self.end_headers()
                    return None
                account = self.headers.get("Stripe-Account")
                version = self.headers.get("Stripe-Version")
                with api._lock:
                    api.requests.append({"method": self.command, "path": url.path, "params": params,
                                         "account": account, "secret": secret, "version": version,
                                         "idempotency_key": self.headers.get("Idempotency-Key")})
                    if secret != api.secret_key:
                        status, answer = error(401, "Invalid API Key provided: %s" % (
                            (secret or "")[:8] + "*" * 4))
                    elif version != API_VERSION:
                        status, answer = error(400, "Invalid Stripe API version: %s" % version,
                                               code="api_version_invalid")
                    else:
                        status, answer = api._answer(self.command, url.path, params, account,
                                                     self.headers.get("Idempotency-Key"))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", "req_webo%06d" % len(api.requests))
                self.end_headers()
                self.wfile.write(payload)

            def _hosted_page(self, session_id):
                # Stripe's hosted payment page, as far as a browser test
                # follows the client: the session it shows.
                known = session_id in api.sessions
                page = ("<html><head><title>Stripe Checkout</title></head><body>"
                        "<h1 id='session'>%s</h1></body></html>" % (session_id if known else "")).encode()
                self.send_response(200 if known else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            do_GET = do_POST = do_DELETE = _serve  # http.server's names

            def log_message(self, *args):
                pass

        return Handler
