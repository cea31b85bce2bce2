"""System tests: a real Odoo server, started once per session, driven from outside.

The server runs the database named by WEBO_TEST_DB (default ``webo_test``,
made by ``runtime/database.sh``) on free loopback ports; its log and the
tests' artefacts go to test-output/.
"""
import os
import sys
import xmlrpc.client
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"
sys.path.insert(0, str(REPO / "runtime"))

from odoo_process import OdooServer  # noqa: E402


class OdooRpc:
    """An XML-RPC session of one user: ``uid`` is False when the login failed."""

    def __init__(self, url, database, login, password):
        self.database = database
        self.password = password
        common = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/common")
        self.uid = common.authenticate(database, login, password, {})
        self._object = xmlrpc.client.ServerProxy(url + "/xmlrpc/2/object", allow_none=True)

    def execute(self, model, method, *args, **kwargs):
        return self._object.execute_kw(self.database, self.uid, self.password, model, method,
                                       list(args), kwargs)


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
def odoo_url(database, output_dir):
    """The base URL of a real Odoo server, up until the end of the session."""
    log = output_dir / "odoo-server.log"
    log.unlink(missing_ok=True)  # the log tail shown on failure must be this run's
    server = OdooServer(database, str(log))
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
    """``rpc(login, password=None)``: an XML-RPC session; the password defaults to the login."""
    def connect(login, password=None):
        return OdooRpc(odoo_url, database, login, login if password is None else password)
    return connect
