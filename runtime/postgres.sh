#!/usr/bin/env bash
# Starts the local PostgreSQL cluster when it is down and gives the current
# user a role that may create databases.
set -euo pipefail

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"; else sudo -u postgres sh -c "$*"; fi
}

if ! pg_isready -q -h /var/run/postgresql; then
    cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
    [ -n "$cluster" ] || { echo "webo: no PostgreSQL cluster found (pg_lsclusters)" >&2; exit 1; }
    echo "webo: starting PostgreSQL $cluster"
    if [ "$(id -u)" -eq 0 ]; then pg_ctlcluster $cluster start; else sudo pg_ctlcluster $cluster start; fi
    for _ in $(seq 1 30); do pg_isready -q -h /var/run/postgresql && break; sleep 1; done
fi

role=$(id -un)
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = '$role'\"" | grep -q 1; then
    echo "webo: creating PostgreSQL role $role"
    as_postgres "createuser --createdb $role"
fi
