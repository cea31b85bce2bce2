import importlib.util
import os

from odoo.exceptions import UserError
from odoo.tests.common import TransactionCase

from .. import hooks
from .common import WeboWorkspaceCase

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def load_migration(version, name):
    path = os.path.join(MIGRATIONS, version, name)
    spec = importlib.util.spec_from_file_location("webo_sale_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestPostgresqlVersion(TransactionCase):
    """webo_sale refuses to install on a PostgreSQL older than 15, whose
    unique indexes cannot treat NULLs as equal (the Synthèse's totals)."""

    def _set_administrator_lang(self, lang):
        self.env.ref("base.user_root").partner_id.lang = lang

    def test_declared_as_the_pre_init_hook(self):
        manifest = self.env["ir.module.module"].get_module_info("webo_sale")
        self.assertEqual(manifest["pre_init_hook"], "pre_init_hook")

    def test_this_server_is_accepted(self):
        hooks.pre_init_hook(self.env.cr)  # raises on a refused server
        hooks.check_postgresql_version(self.env.cr, 150000)

    def test_postgresql_14_is_refused_with_what_to_do(self):
        self._set_administrator_lang(False)  # English
        with self.assertRaises(UserError) as refusal:
            hooks.check_postgresql_version(self.env.cr, 140011)
        self.assertEqual(
            refusal.exception.name,
            "webo needs PostgreSQL 15 or newer (this database server runs PostgreSQL 14.11). "
            "Upgrade the database server, then install webo again.")

    def test_versions_before_10_are_named_with_three_numbers(self):
        self.assertEqual(hooks.postgresql_version_name(90624), "9.6.24")
        self.assertEqual(hooks.postgresql_version_name(100023), "10.23")
        self._set_administrator_lang(False)
        with self.assertRaises(UserError) as refusal:
            hooks.check_postgresql_version(self.env.cr, 90624)
        self.assertIn("runs PostgreSQL 9.6.24)", refusal.exception.name)

    def test_refusal_in_french_before_the_addon_translations_are_loaded(self):
        """At installation the addon's terms are not in the database yet: the
        message comes from its fr.po."""
        self._set_administrator_lang("fr_FR")
        self.env.cr.execute("DELETE FROM ir_translation WHERE module = 'webo_sale' AND type = 'code'")
        self.env["ir.translation"].clear_caches()
        with self.assertRaises(UserError) as refusal:
            hooks.check_postgresql_version(self.env.cr, 130004)
        self.assertEqual(
            refusal.exception.name,
            "webo nécessite PostgreSQL 15 ou plus récent (ce serveur de base de données exécute "
            "PostgreSQL 13.4). Mettez à jour le serveur de base de données, puis installez "
            "webo à nouveau.")


class TestMigration200(WeboWorkspaceCase):
    """11.0.2.0.0: a database made before invoices kept the state of their
    email gets it from whether they were sent."""

    open_services = False

    def test_sent_invoices_read_sent_the_others_not_sent(self):
        sent = self._create_invoice(self.workspace_a, self.client_a)
        unsent = self._create_invoice(self.workspace_a, self.client_a, amount=50.0)
        cr = self.env.cr
        cr.execute("UPDATE account_invoice SET sent = (id = %s) WHERE id IN %s",
                   (sent.id, (sent.id, unsent.id)))
        # The database as the earlier version left it (rolled back with the test).
        cr.execute("ALTER TABLE account_invoice DROP COLUMN webo_email_state")
        load_migration("11.0.2.0.0", "pre-migration.py").migrate(cr, "11.0.1.0.0")
        cr.execute("SELECT id, webo_email_state FROM account_invoice WHERE id IN %s",
                   ((sent.id, unsent.id),))
        self.assertEqual(dict(cr.fetchall()), {sent.id: "sent", unsent.id: "none"})

    def test_a_database_that_has_the_column_keeps_its_states(self):
        pending = self._create_invoice(self.workspace_a, self.client_a)
        self.env.cr.execute("UPDATE account_invoice SET webo_email_state = 'pending', sent = false "
                            "WHERE id = %s", (pending.id,))
        load_migration("11.0.2.0.0", "pre-migration.py").migrate(self.env.cr, "11.0.1.0.0")
        self.env.cr.execute("SELECT webo_email_state FROM account_invoice WHERE id = %s", (pending.id,))
        self.assertEqual(self.env.cr.fetchone()[0], "pending")
