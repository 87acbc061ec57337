#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the test suite, listening on 127.0.0.1 only, and
# print its URL (for JOURNEY_TEST_POSTGRES_URL). Idempotent: a server already running in
# $JOURNEY_PG_DIR is reused. Needs the Debian `postgresql` package and root (or the postgres
# user). The tests create and drop one database per test through this URL.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DATA=${JOURNEY_PG_DIR:-/tmp/journey-pg}
PORT=${JOURNEY_PG_PORT:-54329}
PASSWORD=${JOURNEY_PG_PASSWORD:-journey-test-pw}
as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
if [ ! -f "$DATA/PG_VERSION" ]; then
  mkdir -p "$DATA"
  chown postgres "$DATA"
  chmod 700 "$DATA"
  # Local socket: trust (only the postgres user can reach $DATA); TCP: password (scram).
  as_postgres "$PGBIN/initdb" -D "$DATA" -U postgres -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
fi
if ! as_postgres "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  as_postgres "$PGBIN/pg_ctl" -D "$DATA" -w -l "$DATA/server.log" \
    -o "-p $PORT -k $DATA -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
fi
as_postgres "$PGBIN/psql" -h "$DATA" -p "$PORT" -U postgres -qAt -v ON_ERROR_STOP=1 <<SQL >/dev/null
SELECT 'CREATE ROLE journey LOGIN CREATEDB'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'journey') \gexec
ALTER ROLE journey PASSWORD '$PASSWORD';
SELECT 'CREATE DATABASE journey OWNER journey'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'journey') \gexec
SQL
echo "postgresql+psycopg://journey:$PASSWORD@127.0.0.1:$PORT/journey"
