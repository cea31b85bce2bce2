"""What the fault suite drives: a real Odoo server on a PostgreSQL cluster
of its own, its database read directly, its mail queue flushed, its PDF
renderer and its workers. No fixture here: see conftest.py."""
import datetime
import json
import os
import re
import threading
import time
import uuid
import xmlrpc.client

import psutil
import psycopg2

from odoo_process import OdooServer

HERE = os.path.dirname(os.path.abspath(__file__))
WRAPPERS = os.path.join(HERE, "bin")


class Rpc:
    """An XML-RPC session of one user, French by default."""

    def __init__(self, url, database, login, password=None, timeout=600):
        self.url, self.database = url, database
        self.password = password or login
        transport = _TimeoutTransport(timeout)
        common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common", transport=transport)
        self.uid = common.authenticate(database, login, self.password, {})
        assert self.uid, "login %s refused" % login
        self._timeout = timeout

    def execute(self, model, method, *args, **kwargs):
        kwargs.setdefault("context", {"lang": "fr_FR"})
        proxy = xmlrpc.client.ServerProxy(self.url + "/xmlrpc/2/object", allow_none=True,
                                          transport=_TimeoutTransport(self._timeout))
        return proxy.execute_kw(self.database, self.uid, self.password, model, method,
                                list(args), kwargs)

    def retrying(self, model, method, *args, attempts=60, pause=1.0, **kwargs):
        """The call, repeated as a careful client repeats it while it fails
        for a reason of the moment (the server or its database cut or
        restarting, a concurrency failure Odoo gave up replaying): safe with
        an idempotency key. (result, [kind of each failure: "connection" or
        "concurrency"]). A refusal by the application (a Fault naming a
        UserError, ValidationError...) is raised at once."""
        failures = []
        while True:
            try:
                return self.execute(model, method, *args, **kwargs), failures
            except xmlrpc.client.Fault as fault:
                kind = transient_kind(fault)
                if not kind or len(failures) >= attempts:
                    raise
            except (OSError, xmlrpc.client.ProtocolError):
                if len(failures) >= attempts:
                    raise
                kind = "connection"
            failures.append(kind)
            time.sleep(pause)


class _TimeoutTransport(xmlrpc.client.Transport):
    """Python's transport sends a request again, once, when the connection
    drops before the answer: the tests see each failure and decide."""

    def __init__(self, timeout):
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection

    def request(self, host, handler, request_body, verbose=False):
        return self.single_request(host, handler, request_body, verbose)


def transient_kind(fault):
    """Why a Fault is of the moment ("connection": the database went away;
    "concurrency": Odoo's replays of a request that met another gave up),
    None when the application refused."""
    text = fault.faultString
    if any(marker in text for marker in (
            "OperationalError", "InterfaceError", "server closed the connection",
            "terminating connection", "could not connect", "connection already closed",
            "the database system is", "Connection refused", "PoolError")) \
            and not any(marker in text for marker in ("LockNotAvailable", "SerializationFailure",
                                                      "DeadlockDetected")):
        return "connection"
    if any(marker in text for marker in ("LockNotAvailable", "SerializationFailure",
                                         "DeadlockDetected")):
        return "concurrency"
    return None


class FaultDb:
    """The fault suite's database, read and written directly (autocommit)."""

    def __init__(self, cluster, name):
        self.cluster, self.name = cluster, name

    def connect(self):
        connection = psycopg2.connect(self.cluster.dsn(self.name))
        connection.autocommit = True
        return connection

    def rows(self, query, params=()):
        for attempt in range(30):
            try:
                with self.connect() as connection, connection.cursor() as cursor:
                    cursor.execute(query, params)
                    return cursor.fetchall() if cursor.description else []
            except psycopg2.OperationalError:
                if attempt == 29:
                    raise
                time.sleep(1)  # PostgreSQL restarting
        return []

    def value(self, query, params=()):
        rows = self.rows(query, params)
        return rows[0][0] if rows else None

    def xmlid(self, module, name):
        return self.value("SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
                          (module, name))


class PdfControl:
    """What the wkhtmltopdf wrapper (tests/faults/bin) does next."""

    def __init__(self, path):
        self.path = path
        self.set("ok")

    def set(self, mode, marker=None):
        for leftover in (self.path + ".blocked",):
            if os.path.exists(leftover) and mode != "block":
                os.remove(leftover)
        with open(self.path + ".tmp", "w", encoding="utf-8") as file:
            json.dump({"mode": mode, "marker": marker}, file)
        os.replace(self.path + ".tmp", self.path)

    def blocked_pid(self, timeout=120):
        """The pid of the wrapper waiting in "block" mode."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(self.path + ".blocked", encoding="utf-8") as file:
                    return int(file.read())
            except (OSError, ValueError):
                time.sleep(0.2)
        raise AssertionError("wkhtmltopdf was never called")


def start_server(cluster, database, smtp, pdf_control, log_path, workers=0):
    """A real Odoo server on the fault cluster, its mail to ``smtp``, its
    wkhtmltopdf the wrapper; no cron thread (the tests run the jobs)."""
    server = OdooServer(database, log_path, extra_args=[
        *cluster.odoo_args(), "--smtp=127.0.0.1", "--smtp-port=%d" % smtp.port,
        "--max-cron-threads=0", "--workers=%d" % workers,
        "--log-handler=odoo.addons.webo_sale.models.mail_mail:INFO",
    ], env={"PATH": WRAPPERS + os.pathsep + os.environ.get("PATH", ""),
            "WEBO_FAULT_PDF_CONTROL": pdf_control.path})
    db = FaultDb(cluster, database)
    # The PDFs' style sheets and the payment links point at this server.
    for key in ("web.base.url", "report.url"):
        db.rows("UPDATE ir_config_parameter SET value = %s WHERE key = %s", (server.url, key))
        db.rows("INSERT INTO ir_config_parameter (key, value) SELECT %s, %s WHERE NOT EXISTS "
                "(SELECT 1 FROM ir_config_parameter WHERE key = %s)", (key, server.url, key))
    db.rows("DELETE FROM ir_config_parameter WHERE key = 'web.base.url.freeze'")
    db.rows("INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url.freeze', 'True')")
    return server.start()


def flush_mail_queue(admin):
    """The mail queue's job, now ("Run Manually")."""
    cron = admin.execute("ir.model.data", "xmlid_to_res_id", "mail.ir_cron_mail_scheduler_action")
    assert admin.execute("ir.cron", "method_direct_trigger", [cron]) is True


def time_passes(db):
    """Every email waiting for its next attempt is due now, as if its
    backoff delay had passed."""
    db.rows("UPDATE mail_mail SET scheduled_date = to_char(now() at time zone 'UTC' - "
            "interval '1 second', 'YYYY-MM-DD HH24:MI:SS') WHERE state = 'outgoing'")


def busy_worker(server):
    """The pid of the server's worker answering the one HTTP request in
    flight: the process holding an established connection on its HTTP port
    (the listening socket is shared by every worker; database connections
    may be inherited from the master, so they tell nothing)."""
    root = psutil.Process(server.process.pid)
    busy = set()
    for process in root.children(recursive=True):
        try:
            for connection in process.connections(kind="tcp"):
                if connection.laddr and connection.laddr.port == server.port \
                        and connection.status == psutil.CONN_ESTABLISHED:
                    busy.add(process.pid)
        except psutil.NoSuchProcess:
            continue
    assert len(busy) == 1, "one worker busy with the request, found %s" % sorted(busy)
    return busy.pop()


def wait_for(condition, timeout=120, pause=0.2, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(pause)
    raise AssertionError("%s did not happen within %d s" % (what, timeout))


def tag():
    return uuid.uuid4().hex[:10]



def new_client(designer, email=None):
    """A client of the designer's workspace whose billing contact has
    ``email`` (a new address by default): (client id, billing contact id, address)."""
    address = email or "compta-%s@example.org" % tag()
    client_id = designer.execute("res.partner", "create", {
        "name": "Client panne %s" % tag(), "is_company": True, "customer": True,
        "child_ids": [(0, 0, {"type": "invoice", "name": "Comptabilité", "email": address})]})
    (contact_id,) = designer.execute("res.partner", "search", [("parent_id", "=", client_id)])
    return client_id, contact_id, address


def send_invoice(designer, client_id, label="Site vitrine", amount=100.0):
    """"Envoyer la facture" through the wizard, dated today; the invoice's id."""
    today = datetime.date.today()
    wizard_id = designer.execute("webo.invoice.wizard", "create", {
        "name": label, "partner_id": client_id,
        "date_invoice": today.isoformat(),
        "date_due": (today + datetime.timedelta(days=30)).isoformat(),
        "line_ids": [(0, 0, {"name": label, "quantity": 1, "price_unit": amount})]})
    return designer.execute("webo.invoice.wizard", "action_send", [wizard_id])["res_id"]


def overdue(db, invoice_ids, days_late):
    """The invoices' due date is ``days_late`` days ago, as if that time
    had passed since they were issued today (an invoice is never dated
    before the last one issued: the test moves the due date instead)."""
    due = datetime.date.today() - datetime.timedelta(days=days_late)
    db.rows("UPDATE account_invoice SET date_due = %s WHERE id = ANY(%s)", (due, list(invoice_ids)))
    db.rows("""UPDATE account_move_line l SET date_maturity = %s FROM account_invoice i
                WHERE l.move_id = i.move_id AND i.id = ANY(%s) AND l.date_maturity IS NOT NULL""",
            (due, list(invoice_ids)))


def emails_of(db, invoice_ids, subtypes=("mt_invoice_sent", "mt_invoice_reminder",
                                         "mt_payment_receipt", "mt_payment_received")):
    """{Message-Id: (invoice id, subtype, delivery state)} of the emails
    the product sent about these invoices."""
    rows = db.rows("""
        SELECT m.message_id, m.res_id, d.name, m.webo_delivery_state
          FROM mail_message m JOIN ir_model_data d
            ON d.model = 'mail.message.subtype' AND d.res_id = m.subtype_id AND d.module = 'webo_sale'
         WHERE m.model = 'account.invoice' AND m.res_id = ANY(%s) AND d.name = ANY(%s)""",
                   (list(invoice_ids), list(subtypes)))
    return {message_id: (res_id, subtype, state) for message_id, res_id, subtype, state in rows}


def numbering(db):
    """{(journal, number prefix): sorted numbers} of every issued customer
    invoice: each workspace's sales journal has its own sequence."""
    sequences = {}
    for journal_id, number in db.rows("SELECT journal_id, number FROM account_invoice "
                                      "WHERE type = 'out_invoice' AND number IS NOT NULL"):
        prefix, digits = re.match(r"(.*?)(\d+)$", number).groups()
        sequences.setdefault((journal_id, prefix), []).append(int(digits))
    return {key: sorted(numbers) for key, numbers in sequences.items()}


def assert_gapless(db):
    for (journal_id, prefix), numbers in numbering(db).items():
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers))), \
            "a gap in the numbers %s... of journal %s" % (prefix, journal_id)


def in_background(function, *args, **kwargs):
    """Run ``function`` in a thread; returns (thread, outcome dict)."""
    outcome = {}

    def target():
        try:
            outcome["result"] = function(*args, **kwargs)
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome
