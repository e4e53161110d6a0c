#!/usr/bin/env bash
# Set up with dev dependencies and run every check: lint, format, types, migrations, tests on SQLite
# and on PostgreSQL (side by side). With CI set, an unreachable PostgreSQL or a missing browser is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv "[dev]"
export DJANGO_SETTINGS_MODULE=config.settings.test

echo "== ruff check"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== makemigrations --check"; .venv/bin/aftersales makemigrations --check --dry-run

# The two databases' runs go side by side (each is one process; the machine has cores for both), each
# into its own log, printed in turn when both are done; either failing fails the whole.
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT
env -u DATABASE_URL .venv/bin/pytest "$@" > "$LOGS/sqlite.log" 2>&1 &
SQLITE_PID=$!

PG_URL=${AFTERSALES_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/aftersales}
PG_STATUS=0
PG_RAN=0
if .venv/bin/python - "$PG_URL" <<'PY'
import sys
import psycopg
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
try:
    psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                    password=u.password or None, dbname="postgres", connect_timeout=5).close()
except Exception as error:
    print(f"PostgreSQL is not reachable: {error}", file=sys.stderr)
    sys.exit(1)
PY
then
  PG_RAN=1
  DATABASE_URL="$PG_URL" .venv/bin/pytest "$@" > "$LOGS/postgres.log" 2>&1 || PG_STATUS=$?
fi
SQLITE_STATUS=0
wait "$SQLITE_PID" || SQLITE_STATUS=$?

echo "== pytest (SQLite)"
cat "$LOGS/sqlite.log"
echo "== pytest (PostgreSQL: ${PG_URL})"
if [ "$PG_RAN" = 1 ]; then
  cat "$LOGS/postgres.log"
elif [ -n "${CI:-}" ]; then
  echo "CI is set and PostgreSQL is unreachable: failing." >&2
  exit 1
else
  echo "WARNING: PostgreSQL unreachable; the PostgreSQL run was NOT done (it is required in CI)." >&2
fi
if [ "$SQLITE_STATUS" != 0 ] || [ "$PG_STATUS" != 0 ]; then
  echo "pytest failed: SQLite exit $SQLITE_STATUS, PostgreSQL exit $PG_STATUS" >&2
  exit 1
fi
