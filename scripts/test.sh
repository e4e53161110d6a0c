#!/usr/bin/env bash
# Set up with dev dependencies and run every check: lint, format, types, migrations, tests on SQLite
# and then on PostgreSQL. With CI set, an unreachable PostgreSQL or a missing browser is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv "[dev]"
export DJANGO_SETTINGS_MODULE=config.settings.test

echo "== ruff check"; .venv/bin/ruff check .
echo "== ruff format --check"; .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy
echo "== makemigrations --check"; .venv/bin/aftersales makemigrations --check --dry-run

echo "== pytest (SQLite)"
env -u DATABASE_URL .venv/bin/pytest "$@"

PG_URL=${AFTERSALES_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/aftersales}
echo "== pytest (PostgreSQL: ${PG_URL})"
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
  DATABASE_URL="$PG_URL" .venv/bin/pytest "$@"
elif [ -n "${CI:-}" ]; then
  echo "CI is set and PostgreSQL is unreachable: failing." >&2
  exit 1
else
  echo "WARNING: PostgreSQL unreachable; the PostgreSQL run was NOT done (it is required in CI)." >&2
fi
