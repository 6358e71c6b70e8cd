#!/usr/bin/env bash
# The reliability report (make reliability): runs the reliability, fault, fuzz, load, hygiene and
# authorization suites with their figures printed (-s), then prints those figures and the verdict.
#
# Bounded and local: at most RELIABILITY_TIMEOUT seconds (default 1800); sockets may only
# connect to loopback (pytest-socket --allow-hosts). Sizes come from the suites' own variables,
# e.g. LOAD_CLIENTS=50 LOAD_SECONDS=60 FUZZ_EXAMPLES=300 scripts/reliability_report.sh
# The full pytest output is kept in RELIABILITY_LOG (default: a file under TMPDIR).
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
LOG="${RELIABILITY_LOG:-${TMPDIR:-/tmp}/tim-push-gateway-reliability.log}"
TIMEOUT="${RELIABILITY_TIMEOUT:-1800}"
SUITES=(tests/proofs/reliability tests/proofs/faults tests/proofs/fuzz tests/proofs/load tests/proofs/hygiene
  tests/proofs/authz)
# `name: key=value …` lines, plus the fuzz summaries (`fuzz: ROUTE: N cases, M failures …`).
FIGURE='^([a-z][a-z0-9_-]*: ([a-z][a-z0-9_%.]*=[^ ]+ ?)+|fuzz: .* cases, [0-9]+ failures)'

present=()
for suite in "${SUITES[@]}"; do
  if [[ -d "$suite" ]]; then present+=("$suite"); else echo "reliability: skipped=$suite (absent)"; fi
done

started=$(date +%s)
set +e
timeout --signal=TERM --kill-after=30 "$TIMEOUT" \
  "$VENV/bin/pytest" -s -q -p no:cacheprovider --allow-hosts=127.0.0.1,::1,localhost \
  -o console_output_style=classic "${present[@]}" >"$LOG" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - started ))

echo "== tim-push-gateway reliability report =="
# With -s a figure may follow pytest's progress dots on the same line.
sed -E 's/^[.sSxXFE]+([a-z][a-z0-9_-]*: )/\1/' "$LOG" | grep -E "$FIGURE" || echo "(no figures printed)"
echo "-- pytest --"
grep -E '^(FAILED|ERROR) ' "$LOG" | head -40 || true
tail -n 1 "$LOG"
if [[ $status -eq 124 || $status -eq 137 ]]; then
  echo "reliability: verdict=timeout seconds=$elapsed limit=$TIMEOUT log=$LOG"
elif [[ $status -eq 0 ]]; then
  echo "reliability: verdict=pass seconds=$elapsed suites=${#present[@]} log=$LOG"
else
  echo "reliability: verdict=fail exit=$status seconds=$elapsed log=$LOG"
fi
exit "$status"
