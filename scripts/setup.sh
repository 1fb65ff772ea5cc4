#!/usr/bin/env bash
# Installs the real components the local stack runs (BIND, nginx with the stream module,
# ansible-core, nftables and conntrack for switch = "nftables"), PostgreSQL for the pg backend's tests (never started as the system's cluster),
# and the lab's (docs/lab.md: sshd for the hosts, systemd-nspawn to boot them)
# when any is missing. Idempotent and quick when everything is present: it only looks for
# binaries and the stream module, and never touches apt then.
#
# As root it installs with apt-get. Otherwise it prints the exact command to run and exits 1.
# It never starts the system's named, nginx or sshd: package scripts are told not to start
# services (policy-rc.d) for the duration of the install, and nothing here starts them. An sshd
# this script installed is disabled on this machine (the lab enables it inside each host only).
set -euo pipefail

readonly STREAM_MODULE=/usr/lib/nginx/modules/ngx_stream_module.so

# binary -> package that provides it
declare -A PACKAGE_OF=(
  [named]=bind9
  [named-checkconf]=bind9
  [named-checkzone]=bind9
  [dig]=bind9-dnsutils
  [nginx]=nginx
  [ansible-playbook]=ansible-core
  [sshd]=openssh-server
  [systemd-nspawn]=systemd-container
  [nft]=nftables
  [conntrack]=conntrack
)

missing=()
add_missing() {
  local pkg=$1 p
  for p in "${missing[@]+"${missing[@]}"}"; do [[ $p == "$pkg" ]] && return 0; done
  missing+=("$pkg")
}

# named and nginx live in /usr/sbin, which is not on every user's PATH.
on_path() { PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1; }

for bin in "${!PACKAGE_OF[@]}"; do
  on_path "$bin" || add_missing "${PACKAGE_OF[$bin]}"
done
[[ -f $STREAM_MODULE ]] || add_missing libnginx-mod-stream

# The pg backend's tests start a private PostgreSQL (test/support/postgres.ts) with initdb and
# pg_ctl, which Debian's postgresql-15 keeps in /usr/lib/postgresql/15/bin, off PATH.
pg_binary() { on_path "$1" || compgen -G "/usr/lib/postgresql/*/bin/$1" >/dev/null; }
{ pg_binary initdb && pg_binary pg_ctl; } || add_missing postgresql

if ((${#missing[@]} == 0)); then
  exit 0
fi

install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: installing them needs root; run:" >&2
  echo "  sudo sh -c '$install_cmd'" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}" >&2

# A policy-rc.d that exits 101 tells package scripts not to start services. Put one in place
# only when the machine has none, and remove exactly that one afterwards.
policy=/usr/sbin/policy-rc.d
our_policy=
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# temporary, from infra scripts/setup.sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  our_policy=1
fi
cleanup() { [[ -n $our_policy ]] && rm -f "$policy"; return 0; }
trap cleanup EXIT

had_sshd=
on_path sshd && had_sshd=1

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

# openssh-server's postinst enables ssh.service (and its SysV link) for the next boot of this
# machine; a test prerequisite must not open a login port here. Done without a running systemd.
if [[ -z $had_sshd ]] && on_path sshd; then
  deb-systemd-helper disable ssh.service >/dev/null 2>&1 || true
  update-rc.d ssh disable >/dev/null 2>&1 || true
  touch /etc/ssh/sshd_not_to_be_run
fi

# Verify, so a partial install is reported here and not as a puzzling test failure later.
still=()
for bin in "${!PACKAGE_OF[@]}"; do
  on_path "$bin" || still+=("$bin")
done
[[ -f $STREAM_MODULE ]] || still+=("$STREAM_MODULE")
if ((${#still[@]} > 0)); then
  echo "setup: still missing after install: ${still[*]}" >&2
  exit 1
fi
echo "setup: done" >&2
