"""The fault suite (``make test-faults``): each fault a real deployment
meets, against real servers, judged from the database and from what the
mail server received.

* PostgreSQL: a throw-away cluster of its own (``runtime/pg_cluster.py``),
  created for the session on a free port and dropped at its end, holding a
  copy of the test database (``WEBO_TEST_DB``, made by ``make test`` or
  here if missing): the tests restart it; the machine's main cluster is
  never touched.
* Mail: ``runtime/fault_smtp.py``, a real SMTP server that accepts, is down
  (connection refused), defers (4xx), rejects addresses (5xx) or answers
  garbage, as each test asks.
* PDF: ``tests/faults/bin/wkhtmltopdf`` first on the server's PATH, which
  prints with the real wkhtmltopdf, fails, hangs, writes empty files or
  waits, as each test asks.
"""
import os
import shutil
import subprocess

import pytest
from fault_smtp import FaultSmtpServer
from faultkit import FaultDb, PdfControl, Rpc, start_server
from pg_cluster import ThrowawayCluster

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILESTORE = os.path.join(REPO, ".state", "data", "filestore")


def _database_exists(name):
    output = subprocess.run(["psql", "-d", "postgres", "-tAc",
                             "SELECT 1 FROM pg_database WHERE datname = '%s'" % name],
                            check=True, capture_output=True, text=True).stdout
    return output.strip() == "1"


@pytest.fixture(scope="session")
def fault_cluster(database):
    cluster = ThrowawayCluster("webo_faults_%s" % database).create()
    try:
        yield cluster
    finally:
        cluster.drop()


@pytest.fixture(scope="session")
def fault_database(fault_cluster, database):
    """The test database, copied into the fault cluster (with its files)."""
    if not _database_exists(database):
        subprocess.run(["bash", os.path.join(REPO, "runtime", "database.sh"), database,
                        "--with-demo", "--log-level=warn"], check=True)
    name = "%s_faults" % database
    fault_cluster.clone_database(database, name)
    target = os.path.join(FILESTORE, name)
    shutil.rmtree(target, ignore_errors=True)
    if os.path.isdir(os.path.join(FILESTORE, database)):
        shutil.copytree(os.path.join(FILESTORE, database), target)
    db = FaultDb(fault_cluster, name)
    # Odoo's outgoing mail follows the server's --smtp options.
    db.rows("UPDATE ir_mail_server SET active = false")
    # A hung renderer is stopped after 10 s a document (30 s by default).
    db.rows("INSERT INTO ir_config_parameter (key, value) VALUES ('webo_sale.pdf_timeout', '10')")
    try:
        yield name
    finally:
        shutil.rmtree(target, ignore_errors=True)


@pytest.fixture(scope="session")
def fault_db(fault_cluster, fault_database):
    return FaultDb(fault_cluster, fault_database)


@pytest.fixture(scope="session")
def fault_smtp():
    server = FaultSmtpServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture()
def smtp(fault_smtp):
    """The fault SMTP server, accepting everything at the start of a test."""
    fault_smtp.set_mode("accept")
    return fault_smtp


@pytest.fixture(scope="session")
def pdf_control(tmp_path_factory):
    return PdfControl(str(tmp_path_factory.mktemp("pdf") / "control.json"))


@pytest.fixture()
def pdf(pdf_control):
    """The wkhtmltopdf wrapper, printing normally at the start and at the
    end of a test."""
    pdf_control.set("ok")
    yield pdf_control
    pdf_control.set("ok")


@pytest.fixture(scope="module")
def fault_server(request, fault_cluster, fault_database, fault_smtp, pdf_control, output_dir):
    """A real Odoo server on the fault cluster for the test module: threaded,
    or with the prefork workers a module asks for (``WORKERS = 2``)."""
    workers = getattr(request.module, "WORKERS", 0)
    name = request.module.__name__.rpartition(".")[2]
    server = start_server(fault_cluster, fault_database, fault_smtp, pdf_control,
                          str(output_dir / ("faults-%s.log" % name)), workers=workers)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def login(fault_server, fault_database):
    """``login(name)``: an XML-RPC session on the fault server (password = login)."""
    def connect(name, timeout=600):
        return Rpc(fault_server.url, fault_database, name, timeout=timeout)
    return connect


@pytest.fixture(scope="module")
def operator(login):
    return login("admin")


@pytest.fixture(scope="module")
def designer(login):
    """Claire, designer of the workspace Atelier Claire Martin."""
    return login("claire")
