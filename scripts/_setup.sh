# Shared by run.sh and test.sh: a virtualenv in .venv with the project installed.
PYTHON_BIN=${PYTHON:-python3}

setup_venv() {
  local extras=$1
  if ! "$PYTHON_BIN" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "AfterSales needs Python 3.11 or newer (found: $("$PYTHON_BIN" --version 2>&1))." >&2
    exit 1
  fi
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON_BIN" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${extras}"
}
