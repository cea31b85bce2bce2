"""The safe defaults runtime/setup.sh leaves: no master password in git, a
random one in .state kept across runs, only its hash in odoo.conf, and no
demo data for a database made with runtime/odoo."""
import configparser
import os
import stat
import subprocess
from pathlib import Path

from passlib.context import CryptContext

REPO = Path(__file__).resolve().parents[2]
STATE = REPO / ".state"


def options(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return dict(parser["options"])


def test_template_holds_no_master_password_and_no_demo():
    template = options(REPO / "runtime" / "odoo.conf.template")
    assert "admin_passwd" not in template
    assert template["without_demo"] == "all"
    assert template["list_db"] == "False"


def test_setup_keeps_a_random_master_password_and_only_its_hash():
    # (setup.sh has run: make test and every helper script call it first)
    master = STATE / "master-password"
    password = master.read_text().strip()
    assert len(password) >= 32
    assert stat.S_IMODE(os.stat(master).st_mode) == 0o600
    subprocess.run(["bash", str(REPO / "runtime" / "setup.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    assert master.read_text().strip() == password, "kept across runs"
    stored = options(STATE / "odoo.conf")["admin_passwd"]
    assert password not in stored and stored.startswith("$pbkdf2-sha512$")
    assert CryptContext(schemes=["pbkdf2_sha512"]).verify(password, stored)
    assert not CryptContext(schemes=["pbkdf2_sha512"]).verify("admin", stored)
    tracked = subprocess.run(["git", "-C", str(REPO), "ls-files", ".state"], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
    assert not tracked.strip()
