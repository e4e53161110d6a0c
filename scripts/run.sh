#!/usr/bin/env bash
# Set up (virtualenv, install, SQLite database, demo data) and serve AfterSales at http://127.0.0.1:8000
# with its background worker; Ctrl+C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_setup.sh
setup_venv ""
.venv/bin/aftersales migrate --noinput
.venv/bin/aftersales demo
echo "Open http://127.0.0.1:${PORT:-8000}/ and sign in with one of the demo users above."
exec .venv/bin/aftersales serve --with-worker --host 127.0.0.1 --port "${PORT:-8000}"
