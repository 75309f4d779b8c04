# shellcheck shell=bash disable=SC2034  # globals are for the sourcing test
# Shared helpers of the e2e tests (bash). A test starts with:
#   #!/usr/bin/env bash
#   set -euo pipefail
#   . "$(dirname "$0")/lib.sh"          # BUILD = the test's first argument (CTest passes it)
#   e2e_setup vmlab-e2e                  # root + qemu or exit 77; libvirtd in that netns
#                                        # (or where one already runs: e2e_use_running_libvirtd)
#   e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
#   cd "$E2E_TMP/project" && in_ns "$VMLAB" up; assert_eq ...
# Run vmlab itself with in_ns: QEMU (started by the namespaced libvirtd) binds the slirp
# hostfwd ports on the namespace's 127.0.0.1, which the root namespace cannot reach.
# Globals set by e2e_setup:
#   BUILD, VMLAB ($BUILD/vmlab), E2E_NETNS, E2E_TMP (a fresh world-readable dir, removed on
#   exit; E2E_KEEP=1 keeps it), VMLAB_HOME (exported, $E2E_TMP/home: the test's box store),
#   E2E_TINY_BOX (the cached vmlab-tiny box directory).
# Tests whose guests need Debian's archive (apt inside a guest) start with
#   e2e_setup_uplink vmlab-e2e          # e2e_setup + an uplink for the netns (slirp4netns)
#   e2e_debian_box                      # E2E_DEBIAN_BOX: the cached debian-12-cloud box
# and may use e2e_busybox_rootfs (E2E_BUSYBOX_ROOTFS: a tarball for `docker import`).
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
E2E_UPLINK=""

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
  for t in libvirtd virtlogd virsh ip xorriso ssh qemu-img ${E2E_UPLINK:+slirp4netns}; do
    command -v "$t" >/dev/null || e2e_fail "missing $t: run scripts/install-deps.sh"
  done
  [ -n "$BUILD" ] && [ -x "$VMLAB" ] || e2e_fail "no vmlab binary at '$VMLAB' (pass the build dir as argument 1)"
  trap e2e_teardown EXIT
  E2E_TMP="$(mktemp -d /tmp/vmlab-e2e.XXXXXX)"
  chmod 0755 "$E2E_TMP"  # qemu runs as libvirt-qemu and must reach disks below it
  export VMLAB_HOME="$E2E_TMP/home"
  mkdir -p "$VMLAB_HOME" "$E2E_TMP/project"
  e2e_use_running_libvirtd
  local had_state=""
  [ -d "/run/vmlab-libvirtd/$E2E_NETNS" ] && had_state=1
  e2e_log "starting libvirtd in network namespace $E2E_NETNS"
  "$E2E_SOURCE_DIR/scripts/libvirtd-netns.sh" start "$E2E_NETNS" ${E2E_UPLINK:+--uplink} >&2 \
    || e2e_fail "cannot start libvirtd in $E2E_NETNS (see above)"
  [ -z "$had_state" ] && [ -d "/run/vmlab-libvirtd/$E2E_NETNS" ] && E2E_STARTED_LIBVIRTD=1
  e2e_log "building (or reusing) the vmlab-tiny box"
  local out
  out="$("$E2E_SOURCE_DIR/boxes/build-tiny-box.sh")" || e2e_fail "boxes/build-tiny-box.sh failed"
  E2E_TINY_BOX="$(tail -n1 <<<"$out")"
}

# e2e_setup_uplink NETNS: e2e_setup, and NETNS also gets an uplink (`libvirtd-netns.sh start
# NETNS --uplink`: slirp4netns, DNS via 10.0.2.3), so guests behind the lab's libvirt NAT
# network reach Debian's archive. Then checks from NETNS that the archive answers (HTTP 200
# for dists/bookworm/InRelease of E2E_MIRROR) and skips the test (77) if it does not.
# If libvirtd already ran in NETNS, the uplink is added to it (and stays until `stop`).
# Sets E2E_UPLINK=1 and E2E_MIRROR (the host's Debian mirror, which the Debian box's
# /etc/apt/sources.list names too).
e2e_setup_uplink() {
  [ $# -eq 1 ] || e2e_fail "usage: e2e_setup_uplink NETNS"
  E2E_UPLINK=1
  e2e_setup "$1"
  e2e_require_archive
}

# e2e_mirror: prints the host's Debian mirror, chosen as boxes/build-debian-box.sh does.
e2e_mirror() {
  local m
  m="$(grep -rhoE '^URIs: *http[^ ]*/debian/?$' /etc/apt/sources.list.d/ 2>/dev/null | head -n1 | sed 's/^URIs: *//')"
  [ -n "$m" ] || m="$(grep -hoE '^deb +http[^ ]*/debian/? ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')"
  echo "${MIRROR:-${m:-http://deb.debian.org/debian}}"
}

# e2e_require_archive: skips the test (77) unless Debian's archive answers from the netns.
e2e_require_archive() {
  E2E_MIRROR="$(e2e_mirror)"
  local url="${E2E_MIRROR%/}/dists/bookworm/InRelease" rest host path status
  rest="${url#http://}"; host="${rest%%/*}"; path="/${rest#*/}"
  [ "$rest" != "$url" ] || e2e_skip "mirror $E2E_MIRROR is not plain http"
  # shellcheck disable=SC2016  # $1/$2 are expanded by the inner bash
  status="$(in_ns timeout 20 bash -c 'exec 3<>"/dev/tcp/$1/80" || exit 1
      printf "HEAD %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" "$2" "$1" >&3
      head -n1 <&3' _ "$host" "$path" 2>/dev/null | tr -d '\r')" || true
  case "$status" in
    "HTTP/1."?" 200"*) e2e_log "Debian's archive answers from $E2E_NETNS ($url: $status)" ;;
    *) e2e_skip "Debian's archive does not answer from netns $E2E_NETNS through the uplink ($url: '${status:-no answer}')" ;;
  esac
}

# e2e_debian_box: builds or reuses the debian-12-cloud box (boxes/build-debian-box.sh, cached
# in /var/cache/vmlab; ~4 min from a cold cache, ~30 s with its base tarball cached) and sets
# E2E_DEBIAN_BOX to its directory. Install it with e2e_add_box debian-12-cloud "$E2E_DEBIAN_BOX".
e2e_debian_box() {
  e2e_log "building (or reusing) the debian-12-cloud box"
  local out
  out="$("$E2E_SOURCE_DIR/boxes/build-debian-box.sh")" || e2e_fail "boxes/build-debian-box.sh failed"
  E2E_DEBIAN_BOX="$(tail -n1 <<<"$out")"
}

# e2e_busybox_rootfs: makes or reuses the busybox-static rootfs tarball for `docker import`
# (tests/e2e/docker/make-busybox-rootfs.sh, cached by content in /var/cache/vmlab/images) and
# sets E2E_BUSYBOX_ROOTFS to its path (world-readable, in the cache: copy it, do not edit it).
e2e_busybox_rootfs() {
  local out
  out="$("$E2E_SOURCE_DIR/tests/e2e/docker/make-busybox-rootfs.sh")" \
    || e2e_fail "tests/e2e/docker/make-busybox-rootfs.sh failed"
  E2E_BUSYBOX_ROOTFS="$(tail -n1 <<<"$out")"
}

# e2e_assert_lab_gone LAB_ID: fails if libvirt still has a domain, network or volume of the lab
# (after `vmlab destroy`).
e2e_assert_lab_gone() {
  local left
  left="$(in_ns virsh -c qemu:///system list --all --name | grep "vmlab-$1" || true)"
  left+="$(in_ns virsh -c qemu:///system net-list --all --name | grep "vmlab-$1" || true)"
  left+="$(in_ns virsh -c qemu:///system vol-list vmlab 2>/dev/null | grep "vmlab-$1" || true)"
  assert_eq "" "$left" "libvirt objects left after destroy"
}

# e2e_add_box NAME DIR: installs a box into the test's box store with `vmlab box add`.
# The box is removed again at exit, with its volumes in the libvirt pool.
# If the shared pool already holds volumes of a box of that name (another lab's, e.g. the
# demo's, backs its disks with them), only the volumes the test added are removed.
e2e_add_box() {
  "$VMLAB" box add "$1" "$2" >&2 || e2e_fail "vmlab box add $1 $2 failed"
  local before
  before="$(e2e_box_volumes "$1")"
  if [ -z "$before" ]; then
    e2e_on_exit in_ns "$VMLAB" box remove "$1"
  else
    e2e_log "the pool already has volumes of box $1 ($(echo $before)): they stay at exit"
    e2e_on_exit e2e_remove_new_box_volumes "$1" "$before"
  fi
}
# e2e_free_net [FIRST=58]: prints a prefix 192.168.X (X from FIRST up) with no route in
# E2E_NETNS, so that the test's lab network does not collide with another lab's network in the
# same libvirtd (libvirt refuses a second network on a subnet in use).
e2e_free_net() {
  local x routes
  routes="$(in_ns ip -4 route show)"
  for x in $(seq "${1:-58}" 250); do
    grep -q "^192\.168\.$x\.0/" <<<"$routes" || { echo "192.168.$x"; return 0; }
  done
  e2e_fail "no free 192.168.X.0/24 in network namespace $E2E_NETNS"
}
# e2e_box_volumes NAME: the pool volumes of box NAME (box-NAME-*), one per line.
e2e_box_volumes() {
  in_ns virsh -q -c qemu:///system vol-list vmlab 2>/dev/null | awk '{print $1}' | grep -F "box-$1-" || true
}
# e2e_remove_new_box_volumes NAME BEFORE: deletes the volumes of box NAME not in BEFORE.
e2e_remove_new_box_volumes() {
  local v
  for v in $(e2e_box_volumes "$1"); do
    grep -qxF "$v" <<<"$2" && continue
    e2e_log "removing box volume $v (added by this test)"
    in_ns virsh -q -c qemu:///system vol-delete --pool vmlab "$v" >/dev/null
  done
}

# e2e_use_running_libvirtd: there is one system libvirtd per host (it owns
# /run/libvirt/libvirt-sock). If one already runs in another named network namespace (e.g.
# the one scripts/demo.sh started), the test uses it there: E2E_NETNS becomes that namespace
# and teardown leaves the daemon running. The test's labs, networks, box store and box
# volumes are its own, so another lab in that libvirtd is not touched. A libvirtd in the
# root namespace, or in a namespace without a name, makes the test skip (77): the tests keep
# their libvirt networks inside a network namespace they can enter.
e2e_use_running_libvirtd() {
  local pid id n where=""
  pid="$(cat /run/libvirtd.pid 2>/dev/null)" || return 0
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] || return 0
  id="$(stat -Lc %d:%i "/proc/$pid/ns/net")"
  for n in /run/netns/*; do
    [ -e "$n" ] && [ "$(stat -Lc %d:%i "$n")" = "$id" ] && { where="$(basename "$n")"; break; }
  done
  if [ -z "$where" ]; then
    [ "$id" = "$(stat -Lc %d:%i /proc/self/ns/net)" ] \
      && e2e_skip "libvirtd (pid $pid) runs in the root network namespace; the e2e tests keep their libvirt networks inside a network namespace (stop it, or start it with scripts/libvirtd-netns.sh start NS)"
    e2e_skip "libvirtd (pid $pid) runs in a network namespace without a name in /run/netns; the tests cannot enter it (stop it, or start it with scripts/libvirtd-netns.sh start NS)"
  fi
  if [ "$where" != "$E2E_NETNS" ]; then
    e2e_log "libvirtd (pid $pid) already runs in network namespace $where: using it there"
    E2E_NETNS="$where"
  fi
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
