#!/usr/bin/env bash
# Rewrites test/fixtures/fmt/terraform/*/expected.infra with what `terraform fmt` prints for the
# case's input.infra (see that folder's README). Needs a terraform binary; not part of npm test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/fmt/terraform"
terraform="${TERRAFORM:-terraform}"
export TF_CLI_CONFIG_FILE=/dev/null
for dir in "$root"/*/; do
  if ! "$terraform" fmt -no-color - < "$dir/input.infra" > "$dir/expected.infra"; then
    echo "terraform fmt refused $dir" >&2
    exit 1
  fi
done
echo "rewrote $(ls -d "$root"/*/ | wc -l) expected.infra files with $("$terraform" version | head -1)"
