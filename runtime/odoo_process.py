"""A real Odoo server in a child process, on free loopback ports.

Used by the system tests and the benchmarks::

    with OdooServer("webo_test", log_path) as server:
        xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common")
"""
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAUNCHER = os.path.join(REPO, "runtime", "odoo")
FILESTORE = os.path.join(REPO, ".state", "data", "filestore")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_database(source, target):
    """``target``: a copy of the database ``source`` and of its files (in
    seconds; nobody may be connected to ``source``)."""
    drop_database(target)
    subprocess.run(["createdb", "-T", source, target], check=True)
    if os.path.isdir(os.path.join(FILESTORE, source)):
        shutil.copytree(os.path.join(FILESTORE, source), os.path.join(FILESTORE, target))


def drop_database(name):
    """Drop the database ``name`` and its files, if there are."""
    subprocess.run(["dropdb", "--if-exists", name], check=True, stderr=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(FILESTORE, name), ignore_errors=True)


class OdooServer:
    def __init__(self, database, log_path, extra_args=(), start_timeout=240, env=None):
        self.database = database
        self.env = env
        self.log_path = log_path
        self.extra_args = list(extra_args)
        self.start_timeout = start_timeout
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.process = None

    def start(self):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        args = [
            LAUNCHER, "-d", self.database, "--db-filter", "^%s$" % self.database,
            "--http-interface", "127.0.0.1", "--http-port", str(self.port),
            "--longpolling-port", str(free_port()),
            "--log-level", "warn", "--logfile", self.log_path,
            *self.extra_args,
        ]
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=dict(os.environ, **self.env) if self.env else None)
        self._wait_until_ready()
        return self

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def _wait_until_ready(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Odoo exited with status %s:\n%s"
                                   % (self.process.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/web/login", timeout=5) as response:
                    if response.status == 200:
                        return
            except (TimeoutError, urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("Odoo did not answer within %d s:\n%s"
                           % (self.start_timeout, self.log_tail()))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
