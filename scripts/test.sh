#!/usr/bin/env bash
# `npm test`: jest (unit and integration projects) with the static checks (scripts/checks.sh: typecheck, lint, format
# check) running beside it; the checks take CPU while the integration tests mostly wait on Kafka, Postgres and
# Redis. Their output is printed after jest's. Fails when either fails. Arguments go to jest.
set -uo pipefail
cd "$(dirname "$0")/.."
checks_out=$(mktemp)
trap 'rm -f "$checks_out"' EXIT
bash scripts/checks.sh >"$checks_out" 2>&1 &
checks=$!
npx jest "$@"
jest_rc=$?
wait "$checks"
checks_rc=$?
printf '\n== static checks (ran beside the tests): exit %s\n' "$checks_rc"
cat "$checks_out"
[ "$jest_rc" = 0 ] && [ "$checks_rc" = 0 ]
