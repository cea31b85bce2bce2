"""Checks run before webo_sale is installed in a database."""
import os

from babel.messages.pofile import read_po

from odoo import SUPERUSER_ID, _
from odoo.exceptions import UserError

# The Synthèse's running totals are kept in a table whose unique key treats
# NULL months and due dates as equal (NULLS NOT DISTINCT), which PostgreSQL
# understands from version 15 on.
MIN_POSTGRESQL = 150000


def pre_init_hook(cr):
    cr.execute("SHOW server_version_num")
    check_postgresql_version(cr, int(cr.fetchone()[0]))


def check_postgresql_version(cr, version_num):
    """Refuses the installation on a PostgreSQL older than 15, in the
    language of the database's administrator."""
    if version_num >= MIN_POSTGRESQL:
        return
    context = {"lang": _administrator_lang(cr)}  # _() takes its language from it
    message = _("webo needs PostgreSQL 15 or newer (this database server runs PostgreSQL %s). "
                "Upgrade the database server, then install webo again.")
    message = _untranslated_from_po(context["lang"], message)
    raise UserError(message % postgresql_version_name(version_num))


def postgresql_version_name(version_num):
    """"14.11" of 140011; "9.6.24" of 90624 (before 10, three numbers of
    two digits each)."""
    if version_num >= 100000:
        return "%d.%d" % (version_num // 10000, version_num % 10000)
    return "%d.%d.%d" % (version_num // 10000, version_num // 100 % 100, version_num % 100)


def _administrator_lang(cr):
    cr.execute("SELECT p.lang FROM res_users u JOIN res_partner p ON p.id = u.partner_id "
               "WHERE u.id = %s", (SUPERUSER_ID,))
    row = cr.fetchone()
    return row[0] if row else None


def _untranslated_from_po(lang, message):
    """The addon's translations reach the database only once it is installed:
    before, a message left in English is read from the addon's own .po."""
    if not lang or lang == "en_US":
        return message
    po_path = os.path.join(os.path.dirname(__file__), "i18n", "%s.po" % lang.split("_")[0])
    if not os.path.exists(po_path):
        return message
    with open(po_path, "rb") as po_file:
        entry = read_po(po_file).get(message)
    return entry.string if entry is not None and entry.string else message
