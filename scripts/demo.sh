#!/usr/bin/env bash
# The README's first command: install what is missing, then run a real blue-green deploy of
# examples/local under DNS load, and destroy it again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -d node_modules ]; then npm ci; fi
if [ ! -f dist/cli.js ] || [ ! -f dist/demo.js ]; then node scripts/build.mjs; fi
exec node --enable-source-maps dist/demo.js
