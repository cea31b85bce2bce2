"""A throw-away PostgreSQL cluster of its own, for tests that restart
PostgreSQL: the machine's main cluster is shared (other checkouts' test
runs, the demo) and must never be restarted by a test::

    cluster = ThrowawayCluster("webo_faults_x").create()   # started, on a free port
    cluster.clone_database("webo_test", "webo_test_faults")  # from the main cluster
    cluster.restart()                                       # pg_ctlcluster ... restart
    cluster.drop()

It is a Debian cluster (``pg_createcluster``) of the same PostgreSQL
version as the main one, listening on 127.0.0.1 only, with trust
authentication, and a login role (ROLE) that Odoo connects as.
"""
import os
import subprocess
import time

from odoo_process import free_port

ROLE = "webo_faults"
HOST = "127.0.0.1"


def _as_root(command):
    return command if os.geteuid() == 0 else ["sudo", *command]


def _run(command, text=True, **kwargs):
    return subprocess.run(command, check=True, capture_output=True, text=text, **kwargs)


def main_version():
    """The PostgreSQL version of the machine's (first) cluster."""
    output = _run(["pg_lsclusters", "-h"]).stdout.split()
    return output[0] if output else "15"


class ThrowawayCluster:
    def __init__(self, name, version=None):
        self.name = name
        self.version = version or main_version()
        self.port = None

    # Life

    def create(self):
        self._drop_leftover()
        self.port = free_port()
        _run(_as_root(["pg_createcluster", self.version, self.name, "--port", str(self.port),
                       "--start", "--start-conf", "manual",
                       # Listening on localhost only (PostgreSQL's default).
                       "-o", "fsync=off", "-o", "synchronous_commit=off",
                       "--", "--auth=trust"]))
        self.wait_ready()
        self.psql("CREATE ROLE %s LOGIN SUPERUSER" % ROLE, user="postgres")
        return self

    def restart(self):
        """Restart PostgreSQL (fast shutdown: open transactions are rolled
        back, every connection is cut), then wait until it answers."""
        _run(_as_root(["pg_ctlcluster", self.version, self.name, "restart", "-m", "fast"]))
        self.wait_ready()

    def drop(self):
        subprocess.run(_as_root(["pg_dropcluster", "--stop", self.version, self.name]),
                       check=False, capture_output=True)

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if subprocess.run(["pg_isready", "-q", "-h", HOST, "-p", str(self.port)],
                              check=False).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("the cluster %s did not answer within %d s" % (self.name, timeout))

    def _drop_leftover(self):
        # A cluster of this name left by an interrupted run.
        listed = _run(["pg_lsclusters", "-h"]).stdout.splitlines()
        if any(line.split()[:2] == [self.version, self.name] for line in listed):
            self.drop()

    # Use

    def odoo_args(self):
        """Odoo's options to use this cluster."""
        return ["--db_host", HOST, "--db_port", str(self.port), "--db_user", ROLE]

    def dsn(self, database):
        return "host=%s port=%d user=%s dbname=%s" % (HOST, self.port, ROLE, database)

    def psql(self, sql, database="postgres", user=ROLE):
        return _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", HOST, "-p", str(self.port),
                     "-U", user, "-d", database, "-tAc", sql]).stdout

    def clone_database(self, source, target):
        """Copy ``source`` of the main cluster into this one as ``target``."""
        dump = _run(["pg_dump", "-Fc", "-d", source], text=False).stdout
        self.psql('CREATE DATABASE "%s"' % target)
        subprocess.run(["pg_restore", "--no-owner", "-h", HOST, "-p", str(self.port), "-U", ROLE,
                        "-d", target], input=dump, check=True, capture_output=True)
