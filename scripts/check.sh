#!/usr/bin/env bash
# `npm run check` (what `npm test` runs): lint and typecheck side by side, as each keeps about one
# core busy, then the whole test suite. The typecheck's output is shown after the lint's, whole.
set -uo pipefail
cd "$(dirname "$0")/.."
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npm run --silent typecheck >"$log" 2>&1 &
typecheck=$!
npm run --silent lint
lint=$?
wait "$typecheck"
types=$?
cat "$log"
[ "$types" -eq 0 ] || echo "check: the typecheck failed" >&2
[ "$lint" -eq 0 ] || echo "check: the lint failed" >&2
[ "$lint" -eq 0 ] && [ "$types" -eq 0 ] || exit 1
exec npx vitest run
