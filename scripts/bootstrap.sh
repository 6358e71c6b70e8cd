#!/usr/bin/env bash
# Creates .venv with the runtime's interpreter and installs the pinned dev set plus the
# layer package and the caller SDK (clients/python) in editable mode. Idempotent; `make`
# re-runs it when the pins change.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${VENV:-.venv}"
python="$(scripts/find-python.sh)"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 13)'; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-dev.txt 2> >(grep -v "is ignored: it is neither" >&2)
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e layers/common 2> >(grep -v "is ignored: it is neither" >&2)
# The caller SDK and the tim-push CLI (its botocore and urllib3 are in the pinned set above).
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -e clients/python 2> >(grep -v "is ignored: it is neither" >&2)
touch "$venv/.installed-stamp"
