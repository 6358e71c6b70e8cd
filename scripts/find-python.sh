#!/usr/bin/env bash
# Prints the path of the interpreter matching the Lambda runtime (python3.13).
# On our machines it lives under pyenv but is not on PATH (a pyenv shim may exist
# and still refuse to run), so every candidate is tried, not just located.
set -euo pipefail
want="${RUNTIME_PYTHON:-python3.13}"
candidates=()
if command -v "$want" >/dev/null 2>&1; then candidates+=("$(command -v "$want")"); fi
roots=("${PYENV_ROOT:-$HOME/.pyenv}")
if command -v pyenv >/dev/null 2>&1; then roots+=("$(pyenv root)"); fi
for root in "${roots[@]}"; do
  for c in "$root"/versions/"${want#python}"*/bin/"$want"; do candidates+=("$c"); done
done
for c in "${candidates[@]}"; do
  if [ -x "$c" ] && "$c" -c 'import sys' >/dev/null 2>&1; then
    "$c" -c 'import sys; print(sys.executable)'; exit 0
  fi
done
echo "find-python: no working $want (install it, e.g. 'pyenv install 3.13')" >&2
exit 1
