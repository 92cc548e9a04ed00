#!/usr/bin/env sh
# The `customersignal` bin: runs the TypeScript admin CLI with the project's tsx.
dir=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
exec "$dir/../node_modules/.bin/tsx" "$dir/cli.ts" "$@"
