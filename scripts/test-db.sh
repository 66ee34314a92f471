#!/usr/bin/env bash
# Runs a command with CAVRA_TEST_PG_URL pointing at the local PostgreSQL test database when one
# answers on 127.0.0.1:5432, creating the `cavra` role there if needed. Under CI=true a missing
# PostgreSQL is an error: the database tests must run against it, not skip.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_host=127.0.0.1
if command -v pg_isready >/dev/null && pg_isready -q -h "$pg_host" -p 5432; then
  if ! psql -h "$pg_host" -U cavra -d test -Atqc 'select 1' >/dev/null 2>&1; then
    psql -h "$pg_host" -U postgres -d test -v ON_ERROR_STOP=1 -qc "
      DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cavra') THEN
          CREATE ROLE cavra LOGIN CREATEDB;
        END IF;
      END \$\$;
      GRANT CREATE, CONNECT ON DATABASE test TO cavra;" >/dev/null
  fi
  export CAVRA_TEST_PG_URL="${CAVRA_TEST_PG_URL:-postgres://cavra@$pg_host:5432/test}"
elif [ "${CI:-}" = true ]; then
  echo "PostgreSQL is not reachable on $pg_host:5432; CI requires it for the database tests" >&2
  exit 2
fi
exec "$@"
