#!/usr/bin/env bash
# The README's first command: install what is missing, then run a real blue-green deploy of
# examples/local under DNS load, and destroy it again.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ ! -d node_modules ]; then npm ci; fi
# Always (about a second): a dist/ left from an older checkout would run the old code.
node scripts/build.mjs
exec node --enable-source-maps dist/demo.js
