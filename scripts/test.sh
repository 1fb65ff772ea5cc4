#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds, type-checks and runs
# the whole suite, including the end-to-end tests against real BIND, nginx and ansible-playbook.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
if [ ! -d node_modules ]; then npm ci || exit 1; fi
node scripts/build.mjs || exit 1
npx tsc --noEmit -p . || exit 1
log=$(mktemp)
if [ $# -eq 0 ]; then set -- "test/**/*.test.ts"; fi
npx mocha "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -Eo '^ +[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -n1)
failed=$(grep -Eo '^ +[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -n1)
rm -f "$log"
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
