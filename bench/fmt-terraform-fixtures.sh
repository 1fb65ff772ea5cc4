#!/usr/bin/env bash
# Rewrites test/fixtures/fmt/terraform/*/expected.infra with what `terraform fmt FILE` writes for
# the case's input.infra (see that folder's README). Needs a terraform binary; not part of npm test.
# File mode, not `terraform fmt -`: on standard input terraform adds a final newline when printing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/fmt/terraform"
terraform="${TERRAFORM:-terraform}"
export TF_CLI_CONFIG_FILE=/dev/null
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for dir in "$root"/*/; do
  cp "$dir/input.infra" "$work/main.tf"
  if ! "$terraform" fmt -no-color -list=false "$work/main.tf"; then
    echo "terraform fmt refused $dir" >&2
    exit 1
  fi
  cp "$work/main.tf" "$dir/expected.infra"
done
echo "rewrote $(ls -d "$root"/*/ | wc -l) expected.infra files with $("$terraform" version | head -1)"
