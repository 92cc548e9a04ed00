#!/usr/bin/env bash
# Makes the Postgres `hll` extension (postgresql-hll) available to the server at DATABASE_URL (default: local
# postgres on 127.0.0.1:5432): installs postgresql-<server major>-hll with apt-get when pg_available_extensions
# lacks it. Idempotent; prints one line; exits non-zero with the reason when it cannot.
set -uo pipefail
url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
q() { psql "$url" -XAtqc "$1" 2>/dev/null; }

major=$(q "select current_setting('server_version_num')::int / 10000") || major=""
if [ -z "$major" ]; then
  echo "install-postgres-hll: cannot reach Postgres at $url (start it first, or set DATABASE_URL)" >&2
  exit 1
fi
if [ "$(q "select 1 from pg_available_extensions where name = 'hll'")" = "1" ]; then
  echo "install-postgres-hll: hll is available (postgresql-$major-hll)"
  exit 0
fi
pkg="postgresql-$major-hll"
if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
  echo "install-postgres-hll: hll is missing; run as root: apt-get install -y $pkg (or use a server that offers the hll extension)" >&2
  exit 1
fi
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
log=$(mktemp)
if ! { as_root apt-get install -y -q "$pkg" >"$log" 2>&1 || { as_root apt-get update -q >>"$log" 2>&1 && as_root apt-get install -y -q "$pkg" >>"$log" 2>&1; }; }; then
  echo "install-postgres-hll: apt-get install $pkg failed (last line: $(tail -n 1 "$log")); install it as root, or use a server that offers the hll extension" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
if [ "$(q "select 1 from pg_available_extensions where name = 'hll'")" != "1" ]; then
  echo "install-postgres-hll: installed $pkg but the server at $url still lacks hll (is it a different server than this machine's?)" >&2
  exit 1
fi
echo "install-postgres-hll: installed $pkg"
