"""System tests: a real Odoo server, started once per session, driven from outside.

The server runs the database named by WEBO_TEST_DB (default ``webo_test``,
made by ``runtime/database.sh``) on free loopback ports; its log and the
tests' artefacts go to test-output/. Its outgoing mail goes to a real SMTP
server on loopback (aiosmtpd), started first, which keeps every message it
receives: the ``outbox`` fixture reads them. Stripe's HTTP endpoint is a
loopback HTTPS server of recorded replies (``fake_stripe``), which the
server trusts; the Stripe API the ``stripe`` library calls is another
loopback server (``stripe_api``).
"""
import base64
import email
import email.message
import email.policy
import functools
import os
import socket
import sys
import threading
import uuid
import xmlrpc.client
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from stdnum import luhn

CLIENT_PREFIX = "Client API test"
REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"
sys.path.insert(0, str(REPO / "runtime"))

from fake_stripe import FakeStripe  # noqa: E402
from stripe_api import StripeApi  # noqa: E402

from odoo_process import OdooServer, free_port  # noqa: E402


class OdooRpc:
    """An XML-RPC session of one user: ``uid`` is False when the login failed."""

    def __init__(self, url, database, login, password):
        self.database, self.login, self.password = database, login, password
        common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common")
        self.uid = common.authenticate(database, login, password, {})
        self._object = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object", allow_none=True)

    def execute(self, model, method, *args, **kwargs):
        return self._object.execute_kw(self.database, self.uid, self.password, model, method,
                                       list(args), kwargs)


@dataclass
class ReceivedMail:
    """One message as the SMTP server received it, parsed with the email package."""

    envelope_from: str
    recipients: list  # the envelope's RCPT TO addresses
    raw: bytes
    message: email.message.EmailMessage = field(init=False, repr=False)

    def __post_init__(self):
        self.message = email.message_from_bytes(self.raw, policy=email.policy.default)

    @property
    def subject(self):
        return str(self.message["Subject"] or "")

    @property
    def attachments(self):
        """[(filename, payload bytes)] of the parts sent as attachments."""
        return [(part.get_filename(), part.get_payload(decode=True))
                for part in self.message.iter_attachments()]

    def body(self, subtype="html"):
        """The decoded text/html (or text/plain) body, "" when there is none."""
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""


class Mailbox:
    """What the SMTP server received, in order; filled by the server's thread."""

    def __init__(self):
        self._lock = threading.Lock()
        self._received = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        mail = ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        with self._lock:
            self._received.append(mail)
        return "250 Message accepted for delivery"

    def __len__(self):
        with self._lock:
            return len(self._received)

    def since(self, start):
        with self._lock:
            return list(self._received[start:])


class Outbox:
    """The mail a test makes Odoo send: ``collect()`` flushes Odoo's mail
    queue now and returns the messages received since the previous
    ``collect()`` (or since the outbox was made).

    ``mail.mail.process_email_queue`` is public but cannot be called over
    XML-RPC: it sends the queue, then its result (None) cannot be marshalled
    and the call answers a Fault. The flush is the public path of the
    interface's "Run Manually" button instead: ``ir.cron.method_direct_trigger``
    of Odoo's "Email Queue Manager", which runs ``process_email_queue()`` and
    answers True."""

    QUEUE_CRON = ("mail", "ir_cron_mail_scheduler_action")

    def __init__(self, mailbox, admin):
        self._mailbox = mailbox
        self._admin = admin
        module, name = self.QUEUE_CRON
        (data,) = admin.execute("ir.model.data", "search_read",
                                [("module", "=", module), ("name", "=", name)], fields=["res_id"])
        self._cron = data["res_id"]
        self._failed = set(self._failed_mail())
        self._seen = len(mailbox)

    def _failed_mail(self):
        """{id: failure reason} of the mail.mail Odoo failed to send."""
        failed = self._admin.execute("mail.mail", "search_read", [("state", "=", "exception")],
                                     fields=["failure_reason"])
        return {mail["id"]: mail["failure_reason"] for mail in failed}

    def collect(self):
        assert self._admin.execute("ir.cron", "method_direct_trigger", [self._cron]) is True
        # Sent synchronously: the SMTP server stores a message before it
        # accepts it, so every mail sent is in the mailbox on return.
        received = self._mailbox.since(self._seen)
        self._seen += len(received)
        # process_email_queue logs a failed mail and goes on: make it loud.
        failed = {id_: reason for id_, reason in self._failed_mail().items() if id_ not in self._failed}
        self._failed.update(failed)
        assert not failed, "Odoo failed to send mail.mail %s" % failed
        return received


@pytest.fixture(scope="session")
def smtp_mailbox():
    """A real SMTP server on a free loopback port, for the whole session:
    ``(host, port, mailbox)``."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.hostname, controller.port, mailbox
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def smtp_routing(odoo_url, admin, smtp_mailbox):
    """Odoo's outgoing mail goes to the session's SMTP server.

    The server's ``--smtp`` options apply only when no outgoing mail server
    record is active. runtime/database.sh archives the "localhost:25" one of
    Odoo's base data; any still active (an older database, one added by
    hand) is archived for the session and restored at its end. The emails
    the demo's story queued (invoices, receipts, reminders) leave first:
    no test counts them among its own."""
    servers = admin.execute("ir.mail_server", "search", [])
    admin.execute("ir.mail_server", "write", servers, {"active": False})
    Outbox(smtp_mailbox[2], admin).collect()
    try:
        yield
    finally:
        admin.execute("ir.mail_server", "write", servers, {"active": True})


@pytest.fixture()
def outbox(smtp_mailbox, smtp_routing, admin):
    """An :class:`Outbox` of this test: only mail sent from now on."""
    return Outbox(smtp_mailbox[2], admin)


# The ports `make demo` serves on (runtime/demo.sh): HTTP, Odoo's
# longpolling default, the demo's mail catcher.
DEMO_PORTS = (int(os.environ.get("WEBO_DEMO_PORT") or 8069), 8072,
              int(os.environ.get("WEBO_DEMO_SMTP_PORT") or 2525))


@pytest.fixture(scope="module")
def demo_ports():
    """The demo's ports taken, as by a `make demo` serving, for the test
    module: each is held by a listening socket here unless something (a
    demo) listens on it already. A server of the test that tried to bind
    one of them would fail."""
    held = []
    for port in DEMO_PORTS:
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            held.append(sock)
        except OSError:
            sock.close()  # taken already: by a demo, or another checkout's run
    try:
        yield DEMO_PORTS
    finally:
        for sock in held:
            sock.close()


@pytest.fixture(scope="session")
def repo_dir():
    return REPO


@pytest.fixture(scope="session")
def output_dir():
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def database():
    return os.environ.get("WEBO_TEST_DB", "webo_test")


@pytest.fixture(scope="session")
def fake_stripe(output_dir):
    """Stripe's API endpoint on loopback (see fake_stripe.py)."""
    stripe = FakeStripe(output_dir).start()
    try:
        yield stripe
    finally:
        stripe.stop()


@pytest.fixture(scope="session")
def stripe_api():
    """Stripe's API for the ``stripe`` library, on loopback (see stripe_api.py)."""
    api = StripeApi().start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture(scope="session")
def odoo_url(database, output_dir, smtp_mailbox, fake_stripe):
    """The base URL of a real Odoo server, up until the end of the session.

    It sends its mail to the session's SMTP server. No cron thread: the
    tests flush the mail queue themselves (``outbox``), and a cron sending
    the same queue at the same time could send a message twice. Odoo's
    retries of a request after a concurrency failure are logged."""
    log = output_dir / "odoo-server.log"
    log.unlink(missing_ok=True)  # the log tail shown on failure must be this run's
    smtp_host, smtp_port, _ = smtp_mailbox
    server = OdooServer(database, str(log), extra_args=[
        "--smtp=%s" % smtp_host, "--smtp-port=%d" % smtp_port, "--max-cron-threads=0",
        "--log-handler=odoo.service.model:INFO"],
        env={"REQUESTS_CA_BUNDLE": str(fake_stripe.cert)})
    try:
        server.start()
    except RuntimeError as error:
        pytest.fail("the Odoo server did not start: %s" % error, pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rpc(odoo_url, database):
    """``rpc(login, password=None)``: an XML-RPC session; the password defaults to the login.

    wkhtmltopdf fetches the PDFs' style sheets from ``report.url`` (else
    web.base.url, http://localhost:8069 in a new database): this server,
    not whatever listens on the default port (``make demo``, a benchmark),
    which answers with another database's assets or not at all."""
    operator = OdooRpc(odoo_url, database, "admin", "admin")
    parameters = operator.execute("ir.config_parameter", "search", [("key", "=", "report.url")])
    if parameters:
        operator.execute("ir.config_parameter", "write", parameters, {"value": odoo_url})
    else:
        operator.execute("ir.config_parameter", "create", {"key": "report.url", "value": odoo_url})

    def connect(login, password=None):
        return OdooRpc(odoo_url, database, login, login if password is None else password)
    return connect


@pytest.fixture(scope="session")
def admin(rpc):
    """The platform operator's XML-RPC session."""
    return rpc("admin")


@pytest.fixture(scope="session")
def claire(rpc):
    """Claire's XML-RPC session: designer of "Atelier Claire Martin"."""
    return rpc("claire")


@pytest.fixture(scope="session")
def julien(rpc):
    """Julien's XML-RPC session: designer of "Studio Pixel & Co"."""
    return rpc("julien")


def french_identifiers(seed):
    """(SIRET, VAT number) of a made-up French business, valid and stable
    for ``seed``."""
    base = "%08d" % (zlib.crc32(seed.encode()) % 10 ** 8)
    siren = base + luhn.calc_check_digit(base)
    nic = "0001" + luhn.calc_check_digit(siren + "0001")
    return siren + nic, "FR%02d%s" % ((12 + 3 * (int(siren) % 97)) % 97, siren)


SPECIMEN_RIB = REPO / "webo_sale/demo/files/specimen_rib.pdf"


def opening_of(company_name, siret, vat):
    """Both steps of "Ouvrir mon service de vente" for ``webo_open_service``:
    a company subject to VAT, its designer, the specimen documents, an IBAN."""
    pdf = base64.b64encode(SPECIMEN_RIB.read_bytes()).decode()
    values = {
        "company_name": company_name, "legal_form": "sarl", "siret": siret, "vat_regime": "subject",
        "vat": vat, "street": "5 place Bellecour", "zip": "69002", "city": "Lyon",
        "share_capital": 1000.0, "rcs_city": "Lyon", "first_name": "Camille", "last_name": "Durand",
        "email": "camille@example.org", "phone": "+33 6 11 22 33 44", "birth_date": "1985-06-30",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPPXXX",
    }
    for kind in ("identity", "address", "registration", "bank"):
        values.update({"%s_file" % kind: pdf, "%s_filename" % kind: "%s.pdf" % kind})
    return values


def make_designer(admin, rpc, name, identified=True, open_service=None):
    """A new workspace and its designer, made by the platform operator over
    XML-RPC as the platform would; ``(designer's session, company id)``
    (see ``new_designer``)."""
    if open_service is None:
        open_service = identified
    assert identified or not open_service, "opening the service gives the workspace a SIRET"
    tag = uuid.uuid4().hex[:8]
    siret, vat = french_identifiers(tag) if identified else (False, False)
    company = admin.execute("res.company", "create", {
        "name": "%s %s" % (name, tag), "webo_workspace": True, "siret": siret, "vat": vat,
        "country_id": admin.execute("res.country", "search", [("code", "=", "FR")])[0],
        "currency_id": admin.execute("res.currency", "search", [("name", "=", "EUR")])[0],
    })
    (designer_group,) = admin.execute("ir.model.data", "search_read", [
        ("module", "=", "webo_sale"), ("name", "=", "group_designer")], fields=["res_id"])
    login = "designer-%s" % tag
    admin.execute("res.users", "create", {
        "name": "%s (%s)" % (name, tag), "login": login, "password": login,
        "email": "%s@example.org" % login, "lang": "fr_FR",
        "company_id": company, "company_ids": [(6, 0, [company])],
        "groups_id": [(6, 0, [designer_group["res_id"]])],
    }, context={"no_reset_password": True})
    designer = rpc(login)
    if open_service:
        designer.execute("webo.sale.opening", "webo_open_service",
                         opening_of("%s %s" % (name, tag), siret, vat))
    return designer, company


@pytest.fixture()
def new_designer(admin, rpc):
    """``new_designer(name, identified=True, open_service=None)``: a new
    workspace and its designer, made by the platform operator over XML-RPC
    as the platform would; returns ``(designer's session, company id)``.
    The password is the login. The workspace has a SIRET and a VAT number
    (what its invoices need) unless ``identified`` is false. Its sales
    service is opened by the designer through the API
    (``webo_open_service``: both steps, specimen documents, an IBAN, a
    company subject to VAT), so that it can send invoices, unless
    ``open_service`` is false; by default it is opened when the workspace
    is ``identified`` (the opening gives the SIRET)."""
    return functools.partial(make_designer, admin, rpc)


@pytest.fixture(scope="session")
def studio(admin, rpc):
    """``(session, company id)`` of a second open workspace, subject to VAT,
    for the whole session: the supplier that invoices claire's workspace
    (the demo's julien has not opened his sales service: he sends nothing)."""
    return make_designer(admin, rpc, "Studio Fournisseur")


def portal_session(designer, admin, rpc, client):
    """A portal login for the billing contact of ``client`` (a client of
    ``designer``'s workspace): ``(user id, its XML-RPC session)``."""
    (billing,) = designer.execute("res.partner", "search", [
        ("parent_id", "=", client), ("type", "=", "invoice")])
    user = designer.execute("res.partner", "webo_grant_portal_access", [billing])
    password = "portal-%s" % uuid.uuid4().hex[:8]
    admin.execute("res.users", "write", [user], {"password": password})
    (record,) = admin.execute("res.users", "read", [user], ["login"])
    return user, rpc(record["login"], password)


def run_cron(admin, module, name):
    """Run a scheduled action now, as its "Run Manually" button does."""
    (data,) = admin.execute("ir.model.data", "search_read",
                            [("module", "=", module), ("name", "=", name)], fields=["res_id"])
    assert admin.execute("ir.cron", "method_direct_trigger", [data["res_id"]]) is True


def find_clients(session, name):
    """Ids of the partners named ``name`` visible to ``session``, archived ones included."""
    return session.execute("res.partner", "search", [("name", "=", name)],
                           context={"active_test": False})


def archive_clients(session, ids):
    """Archive clients and their contacts (issued invoices keep them from being deleted)."""
    if ids:
        family = session.execute("res.partner", "search", [("id", "child_of", list(ids))],
                                 context={"active_test": False})
        session.execute("res.partner", "write", family, {"active": False})


@pytest.fixture()
def new_client(claire, outbox):
    """``new_client(**values)``: a new client account of claire's workspace,
    with a billing contact whose address is its own, unless ``billing=False``.
    Returns ``(client id, billing address)``; archived at the end of the test,
    after the mail queue is sent (Odoo drops the mail of archived recipients)."""
    created = []

    def create(billing=True, **values):
        tag = uuid.uuid4().hex[:10]
        address = "facturation-%s@example.org" % tag
        vals = {"name": "%s %s" % (CLIENT_PREFIX, tag), "is_company": True, "customer": True}
        if billing:
            vals["child_ids"] = [(0, 0, {"type": "invoice", "name": "Service comptable",
                                         "email": address})]
        vals.update(values)
        created.append(claire.execute("res.partner", "create", vals))
        return created[-1], (address if billing else None)

    yield create
    outbox.collect()
    archive_clients(claire, created)
