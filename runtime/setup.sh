#!/usr/bin/env bash
# Makes this machine able to run webo: Debian packages, PostgreSQL, the
# Python virtualenv with Odoo 11.0 and every pinned dependency, and the
# Odoo configuration file. Idempotent: a second run only checks.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$repo/.state"
venv="$repo/.venv"
mkdir -p "$state"

bash "$repo/runtime/system-packages.sh"
bash "$repo/runtime/postgres.sh"

python=${WEBO_PYTHON:-$(command -v python3.11 || command -v python3)}
"$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null || {
    echo "webo: CPython 3.11 is required (found: $("$python" --version 2>&1))" >&2
    exit 1
}

stamp="$venv/.requirements.sha256"
wanted=$(cat "$repo/requirements.txt" "$repo/requirements-oca.txt" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    started=$(date +%s)
    echo "webo: installing Odoo 11.0 and the pinned dependencies into .venv (about 1-2 minutes)"
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    # vatnumber and suds-jurko only ship sdists that use setuptools' removed
    # use_2to3: build their wheels in a throw-away environment whose
    # setuptools is old enough, so the main one keeps a current setuptools.
    wheels="$state/wheelhouse"
    if ! ls "$wheels"/vatnumber-1.2-*.whl "$wheels"/suds_jurko-0.6-*.whl >/dev/null 2>&1; then
        build="$state/legacy-build-venv"
        rm -rf "$build"
        "$python" -m venv "$build"
        "$build/bin/pip" install -q 'setuptools<58' wheel
        "$build/bin/pip" wheel -q --no-build-isolation --no-deps -w "$wheels" \
            vatnumber==1.2 suds-jurko==0.6
        rm -rf "$build"
    fi
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q --find-links "$wheels" -r "$repo/requirements.txt"
    # OCA addons (queue_job, contract): their "odoo" requirement names a
    # distribution that does not exist here; their real ones are above.
    "$venv/bin/pip" install -q --no-deps -r "$repo/requirements-oca.txt"
    echo "$wanted" > "$stamp"
    echo "webo: virtualenv ready in $(( $(date +%s) - started )) s"
fi

odoo_addons=$("$venv/bin/python" -c \
    'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("odoo").origin), "addons"))')
# The master password (database manager, XML-RPC "db" service): random, made
# on the first run and kept in .state (never in git); odoo.conf holds only
# its hash.
master="$state/master-password"
if [ ! -s "$master" ]; then
    (umask 077; "$venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))' > "$master")
    echo "webo: master password generated in $master"
fi
master_hash=$("$venv/bin/python" -c '
import sys
from passlib.context import CryptContext
print(CryptContext(schemes=["pbkdf2_sha512"]).hash(open(sys.argv[1]).read().strip()))' "$master")
(
    umask 077
    sed -e "s|@REPO@|$repo|g" -e "s|@STATE@|$state|g" -e "s|@ODOO_ADDONS@|$odoo_addons|g" \
        "$repo/runtime/odoo.conf.template" > "$state/odoo.conf.new"
    printf 'admin_passwd = %s\n' "$master_hash" >> "$state/odoo.conf.new"
)
mv "$state/odoo.conf.new" "$state/odoo.conf"
