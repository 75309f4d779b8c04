# shellcheck shell=bash disable=SC2034  # globals are for the sourcing test
# Shared helpers of the e2e tests (bash). A test starts with:
#   #!/usr/bin/env bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"          # BUILD = the test's first argument (CTest passes it)
#   e2e_setup vmlab-e2e                  # root + qemu or exit 77; libvirtd in that netns
#   e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
#   cd "$E2E_TMP/project" && in_ns "$VMLAB" up; assert_eq ...
# Run vmlab itself with in_ns: QEMU (started by the namespaced libvirtd) binds the slirp
# hostfwd ports on the namespace's 127.0.0.1, which the root namespace cannot reach.
# Globals set by e2e_setup:
#   BUILD, VMLAB ($BUILD/vmlab), E2E_NETNS, E2E_TMP (a fresh world-readable dir, removed on
#   exit; E2E_KEEP=1 keeps it), VMLAB_HOME (exported, $E2E_TMP/home: the test's box store),
#   E2E_TINY_BOX (the cached vmlab-tiny box directory).
# Teardown runs on EXIT: the commands registered with e2e_on_exit (last first), then it stops
# libvirtd only if this test started it (E2E_KEEP_LIBVIRTD=1 leaves it running), then
# removes E2E_TMP. The exit status of the test is kept.

E2E_SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${BUILD:-${1:-}}"
VMLAB="${BUILD:+$BUILD/vmlab}"
E2E_NETNS=""
E2E_TMP=""
E2E_STARTED_LIBVIRTD=""
E2E_ON_EXIT=()

e2e_log() { echo "e2e: [$(date +%T)] $*" >&2; }
# e2e_skip REASON: the test cannot run here; CTest counts exit 77 as skipped.
e2e_skip() { echo "SKIP: $*"; exit 77; }
# e2e_fail MESSAGE: fails the test (exit 1).
e2e_fail() { echo "FAIL: $*" >&2; exit 1; }

# e2e_on_exit CMD...: registers a cleanup command, run at exit in reverse order.
e2e_on_exit() { E2E_ON_EXIT+=("$(printf '%q ' "$@")"); }

# in_ns CMD...: runs CMD inside the test's network namespace (where libvirtd, its networks
# and the VMs' hostfwd ports live).
in_ns() { ip netns exec "$E2E_NETNS" "$@"; }

# e2e_setup NETNS: checks the host (skips only if not root or no QEMU), starts libvirtd in
# NETNS (reusing one that already runs there), builds or reuses the vmlab-tiny box.
e2e_setup() {
  [ $# -eq 1 ] || e2e_fail "usage: e2e_setup NETNS"
  E2E_NETNS="$1"
  [ "$(id -u)" = 0 ] || e2e_skip "e2e tests need root (ip netns, libvirtd)"
  command -v qemu-system-x86_64 >/dev/null || e2e_skip "qemu-system-x86_64 is not installed"
  local t
  for t in libvirtd virtlogd virsh ip xorriso ssh qemu-img; do
    command -v "$t" >/dev/null || e2e_fail "missing $t: run scripts/install-deps.sh"
  done
  [ -n "$BUILD" ] && [ -x "$VMLAB" ] || e2e_fail "no vmlab binary at '$VMLAB' (pass the build dir as argument 1)"
  trap e2e_teardown EXIT
  E2E_TMP="$(mktemp -d /tmp/vmlab-e2e.XXXXXX)"
  chmod 0755 "$E2E_TMP"  # qemu runs as libvirt-qemu and must reach disks below it
  export VMLAB_HOME="$E2E_TMP/home"
  mkdir -p "$VMLAB_HOME" "$E2E_TMP/project"
  local had_state=""
  [ -d "/run/vmlab-libvirtd/$E2E_NETNS" ] && had_state=1
  e2e_log "starting libvirtd in network namespace $E2E_NETNS"
  "$E2E_SOURCE_DIR/scripts/libvirtd-netns.sh" start "$E2E_NETNS" >&2 \
    || e2e_fail "cannot start libvirtd in $E2E_NETNS (see above)"
  [ -z "$had_state" ] && [ -d "/run/vmlab-libvirtd/$E2E_NETNS" ] && E2E_STARTED_LIBVIRTD=1
  e2e_log "building (or reusing) the vmlab-tiny box"
  local out
  out="$("$E2E_SOURCE_DIR/boxes/build-tiny-box.sh")" || e2e_fail "boxes/build-tiny-box.sh failed"
  E2E_TINY_BOX="$(tail -n1 <<<"$out")"
}

# e2e_add_box NAME DIR: installs a box into the test's box store with `vmlab box add`.
# The box is removed again at exit, with its volumes in the libvirt pool.
e2e_add_box() {
  "$VMLAB" box add "$1" "$2" >&2 || e2e_fail "vmlab box add $1 $2 failed"
  e2e_on_exit in_ns "$VMLAB" box remove "$1"
}

e2e_teardown() {
  local rc=$? i
  set +e
  for ((i = ${#E2E_ON_EXIT[@]} - 1; i >= 0; i--)); do eval "${E2E_ON_EXIT[i]}" >&2; done
  if [ -n "$E2E_STARTED_LIBVIRTD" ] && [ -z "${E2E_KEEP_LIBVIRTD:-}" ]; then
    "$E2E_SOURCE_DIR/scripts/libvirtd-netns.sh" stop "$E2E_NETNS" >&2
  fi
  if [ -n "$E2E_TMP" ]; then
    if [ -n "${E2E_KEEP:-}" ]; then e2e_log "kept $E2E_TMP"; else rm -rf "$E2E_TMP"; fi
  fi
  exit "$rc"
}

# assert_eq EXPECTED ACTUAL [WHAT]: fails the test unless the two strings are equal.
assert_eq() {
  [ "$1" = "$2" ] || e2e_fail "${3:-value}: expected '$1', got '$2'"
}
# assert_contains HAYSTACK NEEDLE [WHAT]: fails the test unless NEEDLE occurs in HAYSTACK.
assert_contains() {
  case "$1" in *"$2"*) ;; *) e2e_fail "${3:-output}: '$2' not found in: $1" ;; esac
}

# e2e_wait_ssh PORT KEY KNOWN_HOSTS [USER=root] [TIMEOUT=240]: polls (in the netns) until
# `ssh -p PORT USER@127.0.0.1 true` succeeds with the key and the pinned host key.
e2e_wait_ssh() {
  local port="$1" key="$2" known="$3" user="${4:-root}" timeout="${5:-240}" end
  end=$(($(date +%s) + timeout))
  while [ "$(date +%s)" -lt "$end" ]; do
    in_ns ssh -q -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=yes \
      -o UserKnownHostsFile="$known" -o GlobalKnownHostsFile=/dev/null -i "$key" -p "$port" \
      "$user@127.0.0.1" true 2>/dev/null && return 0
    sleep 0.5
  done
  e2e_fail "no ssh on 127.0.0.1:$port (netns $E2E_NETNS) within ${timeout} s"
}

# e2e_purge_lab LABNAME: removes what an earlier, killed run of this test left in libvirt:
# domains, networks and pool volumes named "vmlab-LABNAME-*" (the test's own lab name; the
# 6-hex suffix differs per run because each run has a fresh project directory).
e2e_purge_lab() {
  local v="virsh -q -c qemu:///system" x
  for x in $(in_ns $v list --all --name | grep "^vmlab-$1-" || true); do
    e2e_log "purging leftover domain $x"
    in_ns $v destroy "$x" >/dev/null 2>&1 || true
    in_ns $v undefine "$x" >/dev/null 2>&1 || true
  done
  for x in $(in_ns $v net-list --all --name | grep "^vmlab-$1-" || true); do
    e2e_log "purging leftover network $x"
    in_ns $v net-destroy "$x" >/dev/null 2>&1 || true
    in_ns $v net-undefine "$x" >/dev/null 2>&1 || true
  done
  for x in $(in_ns $v vol-list vmlab 2>/dev/null | awk '{print $1}' | grep "^vmlab-$1-" || true); do
    e2e_log "purging leftover volume $x"
    in_ns $v vol-delete --pool vmlab "$x" >/dev/null 2>&1 || true
  done
}
