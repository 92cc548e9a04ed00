#!/usr/bin/env bash
# The static checks of `npm test`: typecheck, lint and format check, side by side (each is one process; together they
# keep both cores busy). Each one's output is printed whole, in a fixed order; fails when any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
checks=(typecheck lint format:check)
for c in "${checks[@]}"; do
  (npm run --silent "$c" >"$out/$c.log" 2>&1; echo $? >"$out/$c.rc") &
done
wait
failed=0
for c in "${checks[@]}"; do
  rc=$(cat "$out/$c.rc")
  printf '\n> npm run %s (exit %s)\n' "$c" "$rc"
  cat "$out/$c.log"
  [ "$rc" = 0 ] || failed=1
done
exit "$failed"
