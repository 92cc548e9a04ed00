#!/usr/bin/env bash
# Makes sure Debian's chromium is installed at /usr/bin/chromium (used by the browser e2e tests
# through playwright-core; Playwright's own browser downloads are not used). Idempotent.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-chromium: $CHROMIUM is missing and this script needs root (or sudo) to apt-get install chromium" >&2
    exit 1
  fi
fi

LOG=$(mktemp /tmp/install-chromium.XXXXXX.log)
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y chromium >"$LOG" 2>&1; then
  # The package lists may be missing or stale: refresh them once and retry.
  if ! { $SUDO apt-get update >>"$LOG" 2>&1 && $SUDO apt-get install -y chromium >>"$LOG" 2>&1; }; then
    echo "install-chromium: 'apt-get install -y chromium' failed; see $LOG" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
fi

if [ ! -x "$CHROMIUM" ]; then
  echo "install-chromium: apt-get finished but $CHROMIUM does not exist; see $LOG" >&2
  exit 1
fi
rm -f "$LOG"
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
