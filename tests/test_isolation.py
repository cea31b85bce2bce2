"""Workspace isolation proven by enumeration, not by example.

Workspace A is claire's. The module seeds it with data carrying unique
markers (client names, emails, invoice labels and their payment tokens,
IBANs, a Stripe secret key, a card token, a statement line, an analytic
account, a note, an attachment, a reminder level, a subscription, an
integrity check of its books, a failed login...), and
leaves its invoice emails in Odoo's mail queue, where they wait in real
life. Then, for the designer of another workspace (``other_designer``) and
for a client of theirs with a portal login, every model the user may read (its
``ir.model.access`` rows for the user's groups, read at run time, plus the
transient models, which Odoo opens to everyone with an owner-only rule) is
walked with ``search_read``, ``read_group``, ``name_search`` and ``read``
by id; nothing of A may come back. A client of A with a portal login is
walked the same way, and must see nothing of A's other clients.

"A's data" is recognised two ways, both computed as the platform operator
(who sees everything) before the walk:

* by ownership: a record is A's when one of its stored relational fields
  points to a record of A (the company, its partners, its users, and so on
  transitively: invoices, their journal entries, messages, queued emails,
  followers...), or its (model, res_id) pair does, or it holds a marker;
* by content: no value returned to the user may contain a marker.

Models shared on purpose between workspaces are listed once, in
``SHARED_ON_PURPOSE``, with the reason; markers must not appear there
either. The models holding a workspace's data that only the platform
operator reads are listed in ``OPERATOR_ONLY``, with the reason, and no
walked user may read them. ``test_every_route`` walks Odoo's URL map the
same way.
"""
import base64
import datetime
import json
import random
import re
import subprocess
import uuid
import xmlrpc.client
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import REPO, archive_clients, make_designer
from test_invoicing_api import send_invoice

# The models where a record of another workspace may be visible on purpose,
# and why. Markers (A's own words, tokens, numbers) must not show there
# either: only the record's existence is shared.
SHARED_ON_PURPOSE = {
    "ir.model.data": "the external ids of records installed by the modules (demo data included): "
                     "a technical name and an id, no content",
}

# The models that hold a workspace's data but that only the platform
# operator may read (no ir.model.access row for designers, portal or public
# users), and why; a test checks that no walked user may read them, so that
# a model opened to workspaces later is walked (and needs its rules).
OPERATOR_ONLY = {
    "webo.login.failure": "the wrong passwords of every login (designers' and clients'), with the "
                          "address they came from: the login throttle's and the operator's",
}

# Relational fields that tie a record to whoever created or last changed it,
# not to a workspace: a record of the platform written by a designer stays
# the platform's.
AUTHORSHIP_FIELDS = {"create_uid", "write_uid"}

ACCESS_ERROR = 4


def tag():
    return uuid.uuid4().hex[:12]


def french_iban():
    """A random French IBAN with valid RIB key and check digits."""
    bank, branch = random.randint(10000, 99999), random.randint(10000, 99999)
    account = random.randint(10 ** 10, 10 ** 11 - 1)
    key = 97 - (89 * bank + 15 * branch + 3 * account) % 97
    bban = "%05d%05d%011d%02d" % (bank, branch, account, key)
    check = 98 - int(bban + "152700") % 97
    return "FR%02d%s" % (check, bban)


def faults_of(call, *args, **kwargs):
    """(result, fault) of an XML-RPC call."""
    try:
        return call(*args, **kwargs), None
    except xmlrpc.client.Fault as fault:
        return None, fault


# The seed of workspace A ---------------------------------------------------------


class Seed:
    """What the module puts into workspace A, and the markers to look for."""

    def __init__(self):
        self.markers = {}  # marker -> what it is
        self.client_markers = {}  # the markers of A's second client only
        self.names, self.client_names = [], []  # what a name search is given
        self.portal_users = []
        # What drop_seed undoes, once made.
        self.card = self.subscription = self.level = self.taxed = self.filter = self.channel = None
        self.first_client = self.second_client = self.other_client = None

    def mark(self, what, value, second=False):
        self.markers[value] = what
        if second:
            self.client_markers[value] = what
        return value


def _token(url):
    return parse_qs(urlsplit(url).query)["access_token"][0]


def _portal_login(designer, admin, client, tag_):
    """A portal login for the billing contact of ``client``: (login, password)."""
    (billing,) = designer.execute("res.partner", "search", [
        ("parent_id", "=", client), ("type", "=", "invoice")])
    user = designer.execute("res.partner", "webo_grant_portal_access", [billing])
    password = "portal-%s" % tag_
    admin.execute("res.users", "write", [user], {"password": password})
    (record,) = admin.execute("res.users", "read", [user], ["login"])
    return user, record["login"], password


@pytest.fixture(scope="module")
def other_designer(admin, rpc):
    """The designer of another workspace, made for this module with its
    sales service open, so that it sends invoices (the demo's julien has
    not opened his)."""
    return make_designer(admin, rpc, "Isolation B")[0]


def fill_seed(seed, admin, claire, other_designer, rpc, odoo_url):
    """Workspace A's marked data, the other designer's client and both portal logins."""
    run = tag()
    (claire_user,) = claire.execute("res.users", "read", [claire.uid], ["company_id"])
    company = claire_user["company_id"][0]
    (other_user,) = other_designer.execute("res.users", "read", [other_designer.uid], ["company_id"])
    seed.company, seed.other_company = company, other_user["company_id"][0]
    today = datetime.date.today().isoformat()

    def client(session, label, second=False):
        email = seed.mark("%s billing email" % label, "isolation-%s-%s@example.org" % (label, run), second)
        name = seed.mark("%s name" % label, "Isolation %s %s" % (label, run), second)
        return session.execute("res.partner", "create", {
            "name": name, "is_company": True, "customer": True,
            "child_ids": [(0, 0, {"type": "invoice", "name": "Comptabilité %s" % run, "email": email})]})

    seed.names += ["Isolation A1 %s" % run, "Isolation A2 %s" % run, "isolation-A1-%s" % run]
    seed.first_client = client(claire, "A1")
    seed.second_client = client(claire, "A2", second=True)
    seed.invoices, seed.tokens = [], []
    for client_id, second in ((seed.first_client, False), (seed.second_client, True)):
        label = seed.mark("invoice label", "Prestation isolation %s %s" % (run, client_id), second)
        invoice = send_invoice(claire, client_id, name=label, line_ids=[(0, 0, {
            "name": seed.mark("invoice line", "Ligne isolation %s %s" % (run, client_id), second),
            "quantity": 1, "price_unit": 4321.87})])
        (record,) = claire.execute("account.invoice", "read", [invoice], ["webo_payment_url", "number"])
        seed.tokens.append(seed.mark("payment page token", _token(record["webo_payment_url"]), second))
        seed.names.append(record["number"])
        if second:
            seed.client_names += [record["number"], "Isolation A2 %s" % run, "isolation-A2-%s" % run]
        seed.invoices.append(invoice)
    seed.first_invoice, seed.second_invoice = seed.invoices
    # A partial payment: a payment, its journal entry, a partial reconciliation.
    claire.execute("account.invoice", "webo_register_payment", [seed.second_invoice], 1000.0)

    # The receiving account's IBAN (the transfer instructions), the client's own.
    service = claire.execute("webo.sale.service", "webo_my_service")
    (bank,) = claire.execute("webo.sale.service", "read", [service], ["bank_account_id"])
    # (The demo's IBAN is also the example the opening form shows: it is no
    # marker; its records, the account and the transfer instructions, are A's.)
    seed.bank_account = bank["bank_account_id"][0]
    client_iban = seed.mark("a client's IBAN", french_iban(), second=True)
    claire.execute("res.partner.bank", "create", {
        "acc_number": client_iban, "partner_id": seed.second_client})

    # Card payment: the platform's key for A, a saved card of A's client, a transaction.
    (card,) = admin.execute("payment.acquirer", "search", [
        ("company_id", "=", company), ("provider", "=", "stripe")])
    (transfer,) = admin.execute("payment.acquirer", "search", [
        ("company_id", "=", company), ("provider", "=", "transfer")])
    (old_key,) = admin.execute("payment.acquirer", "read", [card], ["stripe_secret_key"])
    seed.card, seed.transfer, seed.old_key = card, transfer, old_key["stripe_secret_key"]
    admin.execute("payment.acquirer", "write", [card], {
        "stripe_secret_key": seed.mark("Stripe secret key", "sk_test_%s" % run)})
    # (payment_stripe would register a card at Stripe: a token of the
    # workspace's other payment method holds the same fields.)
    seed.payment_token = admin.execute("payment.token", "create", {
        "name": seed.mark("saved card", "XXXXXXXXXXXX4242 isolation %s" % run, second=True),
        "partner_id": seed.second_client, "acquirer_id": transfer,
        "acquirer_ref": seed.mark("saved card reference", "cus_isolation%s" % run, second=True)})
    reply = requests.post("%s/invoice/pay/%d/form_tx" % (odoo_url, seed.second_invoice), json={
        "jsonrpc": "2.0", "method": "call", "id": 1,
        "params": {"acquirer_id": transfer, "access_token": seed.tokens[1]}}, timeout=120).json()
    assert reply.get("result"), reply
    seed.transactions = admin.execute("payment.transaction", "search", [
        ("account_invoice_id", "=", seed.second_invoice)])
    assert seed.transactions

    # The workspace's books and chatter.
    (journal,) = claire.execute("account.journal", "search", [("type", "=", "bank")], limit=1)
    seed.statement = admin.execute("account.bank.statement", "create", {
        "name": seed.mark("bank statement", "Relevé isolation %s" % run), "journal_id": journal,
        "company_id": company, "line_ids": [(0, 0, {
            "name": seed.mark("statement line", "Virement isolation %s" % run), "amount": 77.5,
            "date": today})]})
    seed.analytic = admin.execute("account.analytic.account", "create", {
        "name": seed.mark("analytic account", "Analytique isolation %s" % run), "company_id": company})
    # A fully paid invoice (a full reconciliation), a supplier bill with VAT (invoice taxes).
    paid = send_invoice(claire, seed.second_client, name=seed.mark(
        "paid invoice label", "Facture payée isolation %s" % run, second=True))
    claire.execute("account.invoice", "webo_register_payment", [paid], 500.0, idempotency_key=seed.mark(
        "a payment's idempotency key", "isolation-payment-%s" % run, second=True))
    seed.invoices.append(paid)
    seed.taxed = taxed_draft(claire, seed.first_client, seed.mark("draft label", "Brouillon taxé %s" % run))
    (analytic_account,) = admin.execute("account.analytic.account", "read", [seed.analytic], ["id"])
    admin.execute("account.analytic.line", "create", {
        "name": seed.mark("analytic line", "Ligne analytique isolation %s" % run),
        "account_id": analytic_account["id"], "amount": 12.5, "date": today})
    (invoice_model,) = claire.execute("ir.model", "search", [("model", "=", "account.invoice")])
    seed.activity = claire.execute("mail.activity", "create", {
        "res_model_id": invoice_model, "res_id": seed.first_invoice, "user_id": claire.uid,
        "summary": seed.mark("activity", "Relancer isolation %s" % run), "date_deadline": today})
    seed.filter = claire.execute("ir.filters", "create", {
        "name": seed.mark("shared filter", "Filtre isolation %s" % run), "model_id": "account.invoice",
        "user_id": False, "domain": "[('partner_id', 'ilike', 'Isolation A1 %s')]" % run})
    seed.channel = claire.execute("mail.channel", "create", {
        "name": seed.mark("discussion channel", "canal-isolation-%s" % run), "public": "public"})
    claire.execute("mail.channel", "message_post", [seed.channel], body=seed.mark(
        "a channel message", "Message isolation %s" % run), message_type="comment",
        subtype="mail.mt_comment")
    seed.note = claire.execute("account.invoice", "message_post", [seed.first_invoice],
                               body=seed.mark("a note on an invoice", "Note isolation %s" % run),
                               message_type="comment", subtype="mail.mt_note")
    seed.attachment = claire.execute("ir.attachment", "create", {
        "name": seed.mark("attachment", "Pièce isolation %s.txt" % run),
        "datas_fname": "piece-%s.txt" % run, "res_model": "account.invoice", "res_id": seed.first_invoice,
        "datas": "SXNvbGF0aW9u"})
    seed.level = claire.execute("webo.reminder.level", "create", {
        "name": seed.mark("reminder level", "Relance isolation %s" % run),
        "days": random.randint(200, 900), "subject": "Relance {invoice} %s" % run,
        "body": seed.mark("reminder text", "Texte de relance isolation %s {invoice}" % run)})
    seed.subscription = claire.execute("webo.subscription", "webo_create", {
        "name": seed.mark("subscription", "Abonnement isolation %s" % run),
        "partner_id": seed.first_client, "date_start": today,
        "line_ids": [(0, 0, {"name": "Hébergement %s" % run, "quantity": 1, "price_unit": 31.0})]})

    # The inalterability of A's books: an integrity check of claire's (a
    # wizard), the daily sales closing of every French company.
    seed.integrity = claire.execute("webo.integrity.check", "create", {})
    claire.execute("webo.integrity.check", "action_check", [seed.integrity])
    (closing,) = admin.execute("ir.model.data", "search_read", [
        ("module", "=", "l10n_fr_sale_closing"), ("name", "=", "account_sale_closing_daily")],
        fields=["res_id"])
    admin.execute("ir.cron", "method_direct_trigger", [closing["res_id"]])
    assert admin.execute("account.sale.closing", "search", [("company_id", "=", company)])

    # the other designer's own client, with a portal login; A's first client too.
    seed.other_client = other_designer.execute("res.partner", "create", {
        "name": "Isolation B %s" % run, "is_company": True, "customer": True,
        "child_ids": [(0, 0, {"type": "invoice", "name": "Compta B",
                              "email": "isolation-b-%s@example.org" % run})]})
    send_invoice(other_designer, seed.other_client)
    user, login, password = _portal_login(other_designer, admin, seed.other_client, run)
    seed.portal_users.append(user)
    seed.other_portal = rpc(login, password)
    user, login, password = _portal_login(claire, admin, seed.first_client, run + "a")
    seed.portal_users.append(user)
    seed.own_portal = rpc(login, password)
    assert seed.other_portal.uid and seed.own_portal.uid
    # A wrong password of A's client: a failed login of A's.
    assert not rpc(login, "wrong-%s" % run).uid
    assert admin.execute("webo.login.failure", "search", [("login", "=", login)])


def taxed_draft(designer, supplier, label):
    """A draft supplier bill with 20 % VAT (invoice taxes), made with the
    ORM's raw methods: the workspace's own invoices may carry no VAT (it is
    under the franchise), its suppliers' do."""
    (account,) = designer.execute("account.account", "search", [("code", "=like", "401%")], limit=1)
    (expense,) = designer.execute("account.account", "search", [("code", "=like", "6%")], limit=1)
    (tax,) = designer.execute("account.tax", "search", [
        ("type_tax_use", "=", "purchase"), ("amount", "=", 20.0), ("amount_type", "=", "percent")], limit=1)
    invoice = designer.execute("account.invoice", "create", {
        "partner_id": supplier, "account_id": account, "name": label, "type": "in_invoice",
        "invoice_line_ids": [(0, 0, {"name": label, "account_id": expense, "quantity": 1,
                                     "price_unit": 100.0, "invoice_line_tax_ids": [(6, 0, [tax])]})]})
    designer.execute("account.invoice", "compute_taxes", [invoice])
    assert designer.execute("account.invoice.tax", "search", [("invoice_id", "=", invoice)])
    return invoice


def drop_seed(seed, admin, claire, other_designer):
    """Undo what can be undone of the seed (issued invoices stay, their
    clients are archived), however far it went."""
    if seed.card:
        admin.execute("payment.acquirer", "write", [seed.card], {"stripe_secret_key": seed.old_key})
    if seed.subscription:
        claire.execute("webo.subscription", "webo_stop", [seed.subscription])
    for model, record in (("webo.reminder.level", seed.level), ("account.invoice", seed.taxed),
                          ("ir.filters", seed.filter), ("mail.channel", seed.channel)):
        if record:
            admin.execute(model, "unlink", [record])
    if seed.portal_users:
        admin.execute("res.users", "write", seed.portal_users, {"active": False})
    # The queued emails go out before their recipients are archived.
    run_mail_queue(admin)
    archive_clients(claire, [client for client in (seed.first_client, seed.second_client) if client])
    archive_clients(other_designer, [seed.other_client] if seed.other_client else [])


@pytest.fixture(scope="module")
def seed(admin, claire, other_designer, rpc, smtp_mailbox, smtp_routing, odoo_url):
    seed = Seed()
    try:
        fill_seed(seed, admin, claire, other_designer, rpc, odoo_url)
        yield seed
    finally:
        drop_seed(seed, admin, claire, other_designer)


def run_mail_queue(admin):
    (data,) = admin.execute("ir.model.data", "search_read", [
        ("module", "=", "mail"), ("name", "=", "ir_cron_mail_scheduler_action")], fields=["res_id"])
    admin.execute("ir.cron", "method_direct_trigger", [data["res_id"]])


# What belongs to whom, as the platform operator sees it ---------------------------


class Catalog:
    """Every model holding records (as the operator sees them) and its fields."""

    def __init__(self, admin):
        self.admin = admin
        models = admin.execute("ir.model", "search_read", [], fields=["model", "transient", "count"])
        self.transient = {m["model"] for m in models if m["transient"]}
        self.populated = {m["model"] for m in models if m["count"]}
        self._fields = {}

    def fields(self, model):
        if model not in self._fields:
            self._fields[model] = self.admin.execute(
                model, "fields_get", [],
                attributes=["type", "relation", "store", "searchable", "sortable"])
        return self._fields[model]


def _or(clauses):
    return ["|"] * (len(clauses) - 1) + [term for clause in clauses for term in clause]


def pointer_clauses(model, fields, owned):
    """Domain clauses matching records that point at an owned record through
    a (model, res_id) pair, or ir.translation's (name, res_id)."""
    clauses = []
    if "res_id" not in fields:
        return clauses
    for name in ("res_model", "model"):
        if fields.get(name, {}).get("type") == "char" and fields["res_id"]["type"] == "integer":
            clauses += [["&", (name, "=", target), ("res_id", "in", sorted(ids))]
                        for target, ids in owned.items() if ids]
    if model == "ir.translation":
        clauses += [["&", ("name", "=like", target + ",%"), ("res_id", "in", sorted(ids))]
                    for target, ids in owned.items() if ids]
    if model == "ir.property":
        clauses += [[("res_id", "in", ["%s,%d" % (target, id_) for id_ in sorted(ids)])]
                    for target, ids in owned.items() if ids]
        clauses += [[("value_reference", "in", ["%s,%d" % (target, id_) for id_ in sorted(ids)])]
                    for target, ids in owned.items() if ids]
    return clauses


def ownership(catalog, seeds, markers):
    """{model: ids} of the records that are the seeds', transitively: a record
    is theirs when a stored many2one points to one of theirs (its company,
    client, invoice, message...), its (model, res_id) does, or one of its
    stored texts holds a marker. Many2many fields are memberships (a group's
    users, a user's companies, a channel's members), not ownership: they do
    not make a record the seeds'."""
    owned = {model: set(ids) for model, ids in seeds.items()}
    admin = catalog.admin
    grown, first = set(owned), True
    while grown:
        # A model is searched again only when a model it points to has grown.
        grew = set()
        for model in sorted(catalog.populated):
            fields = catalog.fields(model)
            relations = {field["relation"] for name, field in fields.items() if field["type"] == "many2one"
                         and field.get("store") and name not in AUTHORSHIP_FIELDS}
            pointers = pointer_clauses(model, fields, owned)
            if not first and not relations & grown and not pointers:
                continue
            clauses = []
            for name, field in fields.items():
                if not field.get("store") or name in AUTHORSHIP_FIELDS:
                    continue
                if field["type"] == "many2one" and owned.get(field["relation"]):
                    clauses.append([(name, "in", sorted(owned[field["relation"]]))])
                elif field["type"] in ("char", "text", "html") and first:
                    clauses += [[(name, "ilike", marker)] for marker in markers]
            clauses += pointers
            if not clauses:
                continue
            found = set(admin.execute(model, "search", _or(clauses), context={"active_test": False}))
            if not found <= owned.get(model, set()):
                owned.setdefault(model, set()).update(found)
                grew.add(model)
        grown, first = grew, False
    return owned


@pytest.fixture(scope="module")
def catalog(admin, seed):
    return Catalog(admin)


def a_seeds(seed):
    """The workspace A itself."""
    return {"res.company": {seed.company}}


def client_seeds(admin, seed):
    """A's second client: the company and its contacts."""
    family = admin.execute("res.partner", "search", [("id", "child_of", [seed.second_client])],
                           context={"active_test": False})
    return {"res.partner": set(family)}


@pytest.fixture(scope="module")
def owned_by_a(catalog, seed):
    return ownership(catalog, a_seeds(seed), list(seed.markers))


@pytest.fixture(scope="module")
def owned_by_second_client(catalog, seed, admin):
    return ownership(catalog, client_seeds(admin, seed), list(seed.client_markers))


# The walk -------------------------------------------------------------------------


def readable_models(admin, catalog, session):
    """The models the session's user may read, from ir.model.access for the
    user's groups (implied ones included) and the global rows, plus the
    transient models; only those holding records."""
    (user,) = admin.execute("res.users", "read", [session.uid], ["groups_id"])
    rows = admin.execute("ir.model.access", "search_read", [
        ("perm_read", "=", True), "|", ("group_id", "=", False), ("group_id", "in", user["groups_id"])],
        fields=["model_id"])
    names = admin.execute("ir.model", "read", sorted({row["model_id"][0] for row in rows}), ["model"])
    models = {name["model"] for name in names} | catalog.transient
    return sorted(models & catalog.populated)


class Findings:
    """What came back that should not have: {where: {what}}, and the calls
    that failed otherwise than by an access error."""

    def __init__(self, owned, markers, shared, names):
        self.owned, self.markers, self.shared, self.names = owned, markers, shared, names
        self.found, self.errors = {}, []

    def leak(self, where, what):
        self.found.setdefault(where, set()).add(what)

    def check_value(self, where, value):
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        for marker, what in self.markers.items():
            if marker in text:
                self.leak(where, "marker: %s" % what)

    def check_ids(self, where, model, ids):
        if model in self.shared:
            return
        for id_ in set(ids) & self.owned.get(model, set()):
            self.leak(where, "%s,%d" % (model, id_))

    @property
    def leaks(self):
        return ["%s: %d: %s" % (where, len(what), ", ".join(sorted(what)[:8]))
                for where, what in sorted(self.found.items())]

    def check_record(self, where, model, record, fields):
        """The record itself, the records its many2one fields name (Odoo
        reads their names as superuser), and every value for markers."""
        self.check_ids(where, model, [record["id"]])
        for name, value in record.items():
            field = fields.get(name)
            if field and field["type"] == "many2one" and value and name not in AUTHORSHIP_FIELDS:
                self.check_ids("%s.%s" % (where, name), field["relation"], [value[0]])
        self.check_value(where, record)

    def fault(self, where, fault):
        if fault.faultCode != ACCESS_ERROR:
            self.errors.append("%s: %s" % (where, fault.faultString.strip().splitlines()[-1]))


def walk_model(session, model, user_fields, findings):
    """search_read, read_group, name_search and read by id, as the session's user."""
    names = [name for name, field in user_fields.items() if field["type"] != "binary"]
    records, fault = faults_of(session.execute, model, "search_read", [], fields=names,
                               context={"active_test": False})
    if fault:
        findings.fault("%s search_read" % model, fault)
        # Field by field: one unreadable field must not hide the others.
        records = []
        for name in names:
            values, fault = faults_of(session.execute, model, "search_read", [], fields=[name],
                                      context={"active_test": False})
            if fault:
                findings.fault("%s search_read %s" % (model, name), fault)
            for record in values or []:
                findings.check_record("%s search_read" % model, model, record, user_fields)
    for record in records or []:
        findings.check_record("%s search_read" % model, model, record, user_fields)

    for name, field in user_fields.items():
        if (field["type"] == "many2one" and field.get("store") and field.get("sortable", True)
                and name not in AUTHORSHIP_FIELDS):
            groups, fault = faults_of(session.execute, model, "read_group", [], [name], [name],
                                      lazy=True, context={"active_test": False})
            if fault:
                findings.fault("%s read_group %s" % (model, name), fault)
                continue
            for group in groups:
                if group.get(name):
                    findings.check_ids("%s read_group by %s" % (model, name), field["relation"],
                                       [group[name][0]])
                findings.check_value("%s read_group by %s" % (model, name), group)

    # The empty name lists everything; names of A's records go through the
    # models' own name searches (partners by email, invoices by number...).
    texts = ["", *findings.names] if user_fields.get("name", {}).get("searchable", True) else [""]
    for text in texts:
        found, fault = faults_of(session.execute, model, "name_search", text, limit=None)
        if fault:
            findings.fault("%s name_search %r" % (model, text), fault)
            break
        findings.check_ids("%s name_search %r" % (model, text), model, [pair[0] for pair in found])
        findings.check_value("%s name_search %r" % (model, text), found)

    foreign = sorted(findings.owned.get(model, ()), reverse=True)[:25]
    if model not in findings.shared:
        for id_ in foreign:
            record, fault = faults_of(session.execute, model, "read", [id_], names)
            if fault:
                findings.fault("%s read %d" % (model, id_), fault)
            elif record:
                findings.leak("%s read by id" % model, "%s,%d" % (model, id_))
        found, fault = faults_of(session.execute, model, "search", [("id", "in", foreign)],
                                 context={"active_test": False})
        if found:
            findings.check_ids("%s search by id" % model, model, found)


def walk(admin, catalog, session, owned, markers, names):
    findings = Findings(owned, markers, SHARED_ON_PURPOSE, names)
    models = readable_models(admin, catalog, session)
    assert len(models) > 10, models
    for model in models:
        user_fields, fault = faults_of(session.execute, model, "fields_get", [],
                                       attributes=["type", "relation", "store", "sortable", "searchable"])
        if fault:
            findings.fault("%s fields_get" % model, fault)
            continue
        walk_model(session, model, user_fields, findings)
    return models, findings


def assert_nothing_found(models, findings):
    report = "\n".join([*findings.leaks[:80], "--- errors ---", *findings.errors[:80]])
    assert not findings.leaks and not findings.errors, \
        "%d leak(s), %d error(s) over %d models:\n%s" % (
            len(findings.leaks), len(findings.errors), len(models), report)


def test_another_designer_reads_nothing_of_the_workspace(admin, other_designer, catalog, seed, owned_by_a):
    models, findings = walk(admin, catalog, other_designer, owned_by_a, seed.markers, seed.names)
    assert {"mail.mail", "payment.acquirer", "account.invoice"} <= set(models)
    assert_nothing_found(models, findings)


def test_another_workspace_portal_client_reads_nothing_of_the_workspace(admin, catalog, seed, owned_by_a):
    models, findings = walk(admin, catalog, seed.other_portal, owned_by_a, seed.markers, seed.names)
    assert_nothing_found(models, findings)


def test_a_client_reads_nothing_of_the_workspace_other_clients(admin, catalog, seed, owned_by_second_client):
    models, findings = walk(admin, catalog, seed.own_portal, owned_by_second_client, seed.client_markers,
                            seed.client_names)
    assert_nothing_found(models, findings)


def test_operator_only_models_are_read_by_no_workspace_user(admin, other_designer, catalog, seed):
    """The models of OPERATOR_ONLY hold records of A (the seed made some)
    and no walked user may read them, by its access rows or by a call."""
    assert set(OPERATOR_ONLY) <= catalog.populated
    for session in (other_designer, seed.other_portal, seed.own_portal):
        assert not set(OPERATOR_ONLY) & set(readable_models(admin, catalog, session))
        for model in OPERATOR_ONLY:
            records, fault = faults_of(session.execute, model, "search_read", [], fields=["id"])
            assert records is None and fault.faultCode == ACCESS_ERROR, (model, records, fault)


# Every HTTP route -----------------------------------------------------------------

ROUTE_MAP_SCRIPT = r'''
import inspect, json
from odoo import http
installed = env.registry._init_modules - {"web"}
modules = [""] + odoo.conf.server_wide_modules + sorted(installed)
routes = http.routing_map(modules, False, converters=env["ir.http"]._get_converters())
out = []
for rule in routes.iter_rules():
    endpoint = rule.endpoint
    function = getattr(endpoint, "original", endpoint.method)
    out.append({"rule": rule.rule, "type": endpoint.routing.get("type"), "auth": endpoint.routing.get("auth"),
                "methods": sorted(rule.methods or []), "arguments": sorted(rule.arguments),
                "params": [name for name in inspect.signature(function).parameters if name != "self"]})
print("ROUTES=" + json.dumps(out))
'''
# What a route's own parameters and its **kwargs are given: A's records.
OFFSITE = "https://other.example/"
PATH_ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def url_map(database):
    """Odoo's URL map for the database's installed modules, as its server
    builds it (http.routing_map with ir.http's converters), from a shell of
    the same code on the same database."""
    result = subprocess.run([str(REPO / "runtime" / "odoo"), "shell", "-d", database, "--no-http",
                             "--log-level=warn"], input=ROUTE_MAP_SCRIPT, capture_output=True, text=True,
                            timeout=600, check=True)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("ROUTES=")]
    return json.loads(line[len("ROUTES="):])


class Caller:
    """An HTTP client: anonymous, or logged in (and logged in again when a
    route ends its session)."""

    def __init__(self, odoo_url, database, login=None, password=None):
        self.url, self.database, self.login, self.password = odoo_url, database, login, password
        self.http = requests.Session()
        self.uid = None
        if login:
            self.sign_in()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                              self.http.get(odoo_url + "/web/login", timeout=120).text).group(1)

    def sign_in(self):
        self.http = requests.Session()
        reply = self.http.post(self.url + "/web/session/authenticate", json={
            "jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"db": self.database, "login": self.login, "password": self.password},
        }, timeout=120).json()
        self.uid = reply["result"]["uid"]
        assert self.uid, reply

    def still_signed_in(self):
        if not self.login:
            return
        reply = self.http.post(self.url + "/web/session/get_session_info", json={
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {}}, timeout=120).json()
        if (reply.get("result") or {}).get("uid") != self.uid:
            self.sign_in()
            self.csrf = re.search(r'name="csrf_token" value="([^"]+)"',
                                  self.http.get(self.url + "/web/login", timeout=120).text).group(1)

    def call(self, route, path, params):
        """The answer, or None from a route that keeps the connection open
        without answering (Odoo's long polling waits 50 s for news)."""
        url = self.url + path
        query = {key: json.dumps(value) if isinstance(value, (list, dict)) else value
                 for key, value in params.items() if value is not None}
        if route["type"] == "json":
            request = dict(json={"jsonrpc": "2.0", "method": "call", "id": 1, "params": params})
            method = "post"
        elif route["methods"] and "GET" not in route["methods"]:
            request, method = dict(data=dict(query, csrf_token=self.csrf)), "post"
        else:
            request, method = dict(params=query), "get"
        try:
            return getattr(self.http, method)(url, allow_redirects=False, timeout=(10, 20), **request)
        except requests.exceptions.ReadTimeout:
            return None


class RouteTargets:
    """The values a route is called with, all pointing at workspace A."""

    def __init__(self, admin, seed, foreign_token):
        attachment = admin.execute("ir.attachment", "search_read", [
            ("res_model", "=", "account.invoice"), ("res_id", "=", seed.first_invoice),
            ("mimetype", "=", "application/pdf")], fields=["datas"], limit=1)[0]
        documents = admin.execute("webo.sale.document", "search_read", [("company_id", "=", seed.company)],
                                  fields=["file"], limit=1)
        transaction = admin.execute("payment.transaction", "read", seed.transactions[:1], ["reference"])[0]
        followers = admin.execute("mail.followers", "search", [
            ("res_model", "=", "account.invoice"), ("res_id", "=", seed.first_invoice)])
        (currency,) = admin.execute("res.currency", "search", [("name", "=", "EUR")])
        self.records = [("ir.attachment", attachment["id"], "datas"),
                        ("account.invoice", seed.first_invoice, "comment"),
                        ("res.partner", seed.first_client, "image"),
                        ("mail.message", seed.note, "body")]
        if documents:
            self.records.append(("webo.sale.document", documents[0]["id"], "file"))
        # A's files: no answer may carry them.
        self.blobs = {"A's invoice PDF": base64_bytes(attachment["datas"])}
        if documents:
            self.blobs["A's document"] = base64_bytes(documents[0]["file"])
        self.tokens = [None, foreign_token, "jéton-ü-\u2603"]
        self.values = {
            "invoice_id": seed.first_invoice, "partner_id": seed.first_client,
            "acquirer_id": seed.card, "pm_id": seed.payment_token, "reference": transaction["reference"],
            "tx_ref": transaction["reference"], "amount": "9999.99", "currency_id": currency,
            "currency": "EUR", "message_id": seed.note, "follower_ids": followers,
            "follower_id": followers[0] if followers else 0,
            "ids": [seed.first_invoice], "docids": str(seed.first_invoice), "converter": "html",
            "reportname": "account.report_invoice", "method": "read", "args": [[seed.first_invoice]],
            "kwargs": {}, "domain": [], "fields": ["name"], "limit": 80, "offset": 0,
            "redirect": OFFSITE, "error_url": OFFSITE, "success_url": OFFSITE, "return_url": OFFSITE,
            "url": OFFSITE, "callback": "cb", "filename": "x.pdf", "unique": "x", "width": 8, "height": 8,
            "lang": "fr_FR", "db": None, "login": "nobody", "password": "x", "master_pwd": "x",
            "name": "isolation-nowhere", "new_name": "isolation-nowhere-2", "type": "QR", "value": "x",
            "export_id": 0, "action_id": 0, "data": json.dumps({
                "model": "account.invoice", "fields": [{"name": "name", "label": "n"}],
                "ids": [seed.first_invoice], "domain": [], "import_compat": False}),
            "channels": [], "last": 0, "channel": "x", "message": "x", "uuid": "x", "path": "/my/invoices/%d"
            % seed.first_invoice, "page": 1, "service": "object", "icon": "fa-star", "color": "red",
            "size": 8, "alpha": 255, "mod": "x", "mods": "web", "app": "x", "key": "x", "node": "x",
            "connector": "x", "src_node": "x", "des_node": "x", "label": "x", "res_field": "x",
        }


def base64_bytes(value):
    return base64.b64decode(value) if value else b""


def route_calls(route, targets):
    """(path, params) for each way of calling the route: every A record for
    routes taking a model or an id, every token (none, another invoice's, an
    odd one) for routes taking one."""
    names = set(route["params"]) | set(route["arguments"])
    takes_record = names & {"model", "res_model", "id", "res_id"}
    takes_token = names & {"access_token", "token"} or names & {"kw", "kwargs", "post"}
    records = targets.records if takes_record else [(None, None, None)]
    tokens = targets.tokens if takes_token else [None]
    for model, id_, field in records:
        for token in tokens:
            values = dict(targets.values)
            if model:
                values.update({"model": model, "res_model": model, "id": id_, "res_id": id_, "field": field})
            values.update({"access_token": token, "token": token})
            path = PATH_ARGUMENT.sub(lambda match, values=values: str(values.get(match.group(2), "x")),
                                     route["rule"])
            params = {name: values.get(name) for name in route["params"]
                      if name not in route["arguments"] and name not in ("kw", "kwargs", "post", "args")}
            if names & {"kw", "kwargs", "post"}:
                params.update({key: values[key] for key in (
                    "access_token", "reference", "amount", "currency", "currency_id", "acquirer_id",
                    "partner_id", "invoice_id", "tx_ref", "pm_id", "redirect", "error_url", "success_url",
                    "return_url") if key not in params})
            yield path, {key: value for key, value in params.items()}


def answer_findings(caller_name, route, path, reply, seed, targets, host):
    """What is wrong with one answer."""
    found = []
    where = "%s %s %s -> %d" % (caller_name, route["rule"], path[:80], reply.status_code)
    text = reply.content.decode("utf-8", "replace")
    headers = json.dumps(dict(reply.headers))
    for marker, what in seed.markers.items():
        if marker in text or marker in headers:
            found.append("%s: %s" % (where, what))
    for what, blob in targets.blobs.items():
        if len(blob) > 64 and blob in reply.content:
            found.append("%s: %s" % (where, what))
    location = reply.headers.get("Location")
    if location and urlsplit(location).netloc not in ("", host):
        found.append("%s: redirected off-site to %s" % (where, location))
    if re.search(r"window\.location\s*=\s*['\"]https?://(?!%s)" % re.escape(host), text):
        found.append("%s: a script redirects off-site" % where)
    if caller_name == "anonymous" and "Traceback (most recent call last)" in text:
        found.append("%s: a traceback to an anonymous caller" % where)
    return found


def a_state(admin, seed):
    """What a route could change in workspace A."""
    invoices = admin.execute("account.invoice", "read", seed.invoices, ["state", "residual"])
    return {
        "invoices": invoices,
        "messages": admin.execute("mail.message", "search_count", [
            ("model", "=", "account.invoice"), ("res_id", "in", seed.invoices)]),
        "followers": admin.execute("mail.followers", "search_count", [
            ("res_model", "=", "account.invoice"), ("res_id", "in", seed.invoices)]),
        "attachments": admin.execute("ir.attachment", "search_count", [
            ("res_model", "=", "account.invoice"), ("res_id", "in", seed.invoices)]),
        "transactions": admin.execute("payment.transaction", "search_read", [
            ("acquirer_id.company_id", "=", seed.company)], fields=["reference", "state", "amount"]),
        "tokens": admin.execute("payment.token", "search_count", [
            ("acquirer_id.company_id", "=", seed.company)]),
    }


@pytest.fixture(scope="module")
def routes(database, seed):
    return url_map(database)


def test_every_route_answers_nothing_of_the_workspace(admin, other_designer, seed, routes, odoo_url,
                                                      database):
    (other_invoice,) = other_designer.execute("account.invoice", "search_read", [
        ("partner_id", "child_of", seed.other_client)], fields=["webo_payment_url"], limit=1)
    targets = RouteTargets(admin, seed, _token(other_invoice["webo_payment_url"]))
    host = urlsplit(odoo_url).netloc
    portal_login = admin.execute("res.users", "read", [seed.portal_users[0]], ["login"])[0]["login"]
    callers = {
        "anonymous": Caller(odoo_url, database),
        "the other designer": Caller(odoo_url, database, other_designer.login, other_designer.password),
        "the other designer's client": Caller(odoo_url, database, portal_login, seed.other_portal.password),
    }
    before = a_state(admin, seed)
    assert len(routes) > 100, len(routes)
    # Routes that end the session go last.
    ordered = sorted(routes, key=lambda route: any(word in route["rule"] for word in (
        "logout", "destroy", "authenticate")))
    findings, calls = [], 0
    for route in ordered:
        for path, params in route_calls(route, targets):
            for name, caller in callers.items():
                reply = caller.call(route, path, params)
                calls += 1
                if reply is not None:
                    findings += answer_findings(name, route, path, reply, seed, targets, host)
                caller.still_signed_in()
        after = a_state(admin, seed)
        if after != before:
            findings.append("%s changed workspace A: %s" % (
                route["rule"], sorted(key for key in after if after[key] != before[key])))
            before = after
    assert not findings, "%d finding(s) over %d routes, %d calls:\n%s" % (
        len(findings), len(routes), calls, "\n".join(sorted(set(findings))[:100]))
