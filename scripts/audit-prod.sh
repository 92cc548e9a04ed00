#!/usr/bin/env bash
# `npm run audit:prod`: no high or critical advisory in the production dependency tree (dev tools excluded).
# Needs the network: npm asks the registry's advisory endpoint (POST /-/npm/v1/security/advisories/bulk).
# Exit 0: none found; 1: advisories at or above "high" (the report says which; try `npm audit fix --omit=dev`,
# which stays within semver); 2: the advisory endpoint could not be asked (offline, or a registry mirror
# without the audit API): nothing was checked, so this is not a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(npm audit --omit=dev --audit-level=high 2>&1)
status=$?
printf '%s\n' "$out"
if printf '%s' "$out" | grep -q 'audit endpoint returned an error\|ENOTFOUND\|EAI_AGAIN\|ECONNREFUSED\|ETIMEDOUT'; then
  echo "audit:prod: the registry's advisory endpoint ($(npm config get registry)) did not answer; nothing was checked" >&2
  exit 2
fi
[ "$status" -eq 0 ] && echo "audit:prod: no high or critical advisories in production dependencies"
exit "$status"
