#!/usr/bin/env bash
# Runs libvirtd (+ virtlogd) inside a network namespace, without systemd, so that libvirt
# NAT/isolated networks, bridges and dnsmasq never touch the root namespace.
#   usage: scripts/libvirtd-netns.sh start|stop|status NETNS        (as root)
# start   creates NETNS if missing (lo up), starts `virtlogd -d` and `libvirtd -d` in it and
#         waits (<= 60 s; the first start probes QEMU for ~8 s) until
#         `virsh -c qemu:///system version` answers. There is one system libvirtd per host
#         (socket /run/libvirt/libvirt-sock, pid file /run/libvirtd.pid): if one already runs,
#         it is reused when it runs in NETNS, otherwise start fails (exit 1) and says where it
#         runs. The `default` network's autostart is always disabled.
# stop    undoes what start did, only that: destroys the domains/networks still active in a
#         libvirtd it started, kills the daemons it started (by the PIDs in their pid files)
#         and deletes NETNS if it created it. Idempotent.
# status  prints where libvirtd runs; exit 0 if it answers in NETNS, 3 otherwise.
# What start did is recorded in /run/vmlab-libvirtd/NETNS/.
set -euo pipefail

die() { echo "libvirtd-netns: error: $*" >&2; exit "${2:-1}"; }
say() { echo "libvirtd-netns: $*"; }
[ $# -eq 2 ] || die "usage: $0 start|stop|status NETNS" 2
CMD="$1" NS="$2"
[[ "$NS" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad namespace name '$NS'" 2
[ "$(id -u)" = 0 ] || die "must run as root (ip netns, libvirtd)" 2
STATE="/run/vmlab-libvirtd/$NS"
LIBVIRTD_PID=/run/libvirtd.pid
VIRTLOGD_PID=/run/virtlogd.pid
URI=qemu:///system

# alive PIDFILE NAME: prints the PID if the pid file names a live process called NAME.
alive() {
  local pid
  [ -f "$1" ] || return 1
  pid="$(cat "$1" 2>/dev/null)"
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && echo "$pid"
}
# netns_of PID: the name of the network namespace PID is in ("root" or a /run/netns name).
netns_of() {
  local id n
  id="$(stat -Lc %d:%i "/proc/$1/ns/net")"
  for n in /run/netns/*; do
    [ -e "$n" ] && [ "$(stat -Lc %d:%i "$n")" = "$id" ] && { basename "$n"; return; }
  done
  # PID 1's namespace may be unreadable in a container; this shell's is then the reference.
  root="$(stat -Lc %d:%i /proc/1/ns/net 2>/dev/null || stat -Lc %d:%i /proc/self/ns/net)"
  if [ "$id" = "$root" ]; then echo "the root namespace"; else echo "an unnamed namespace"; fi
}
answers() { timeout 5 virsh -c "$URI" version >/dev/null 2>&1; }
wait_answer() {
  for _ in $(seq 1 600); do answers && return 0; sleep 0.1; done
  return 1
}
disable_default_autostart() {
  rm -f /etc/libvirt/qemu/networks/autostart/default.xml
  if virsh -c "$URI" net-info default 2>/dev/null | grep -q '^Autostart: *yes'; then
    virsh -c "$URI" net-autostart --disable default >/dev/null
  fi
}

start() {
  local pid where
  if pid="$(alive "$LIBVIRTD_PID" libvirtd)"; then
    where="$(netns_of "$pid")"
    [ "$where" = "$NS" ] || die "libvirtd already runs (pid $pid) in $where, not in $NS; stop it first (it owns /run/libvirt/libvirt-sock)"
    say "libvirtd already runs in $NS (pid $pid): using it"
    wait_answer || die "libvirtd (pid $pid) does not answer on $URI"
    disable_default_autostart
    return 0
  fi
  mkdir -p "$STATE"
  if [ ! -e "/run/netns/$NS" ]; then
    ip netns add "$NS"
    touch "$STATE/created-netns"
    say "created network namespace $NS"
  fi
  ip -n "$NS" link set lo up
  disable_default_autostart  # before libvirtd reads it at start-up
  if ! pid="$(alive "$VIRTLOGD_PID" virtlogd)"; then
    rm -f "$VIRTLOGD_PID"
    ip netns exec "$NS" virtlogd -d
    for _ in $(seq 1 50); do pid="$(alive "$VIRTLOGD_PID" virtlogd)" && break; sleep 0.1; done
    [ -n "$pid" ] || die "virtlogd did not start (no $VIRTLOGD_PID)"
    echo "$pid" >"$STATE/virtlogd.pid"
  fi
  rm -f "$LIBVIRTD_PID"
  ip netns exec "$NS" libvirtd -d
  for _ in $(seq 1 50); do pid="$(alive "$LIBVIRTD_PID" libvirtd)" && break; sleep 0.1; done
  [ -n "$pid" ] || die "libvirtd did not start (no $LIBVIRTD_PID); see /var/log/libvirt/"
  echo "$pid" >"$STATE/libvirtd.pid"
  wait_answer || die "libvirtd (pid $pid) did not answer on $URI within 60 s"
  disable_default_autostart
  say "libvirtd (pid $pid) answers on $URI in namespace $NS"
}

# kill_recorded NAME: kills the daemon start recorded, if it is still that daemon.
kill_recorded() {
  local f="$STATE/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]; then
    kill "$pid"
    for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    [ -d "/proc/$pid" ] && kill -9 "$pid" 2>/dev/null
    say "stopped $1 (pid $pid)"
  fi
  rm -f "$f"
}

stop() {
  local d n
  [ -d "$STATE" ] || { say "nothing to stop for $NS"; return 0; }
  if [ -f "$STATE/libvirtd.pid" ] && answers; then
    for d in $(virsh -c "$URI" list --name 2>/dev/null); do
      virsh -c "$URI" destroy "$d" >/dev/null 2>&1 && say "destroyed domain $d"
    done
    for n in $(virsh -c "$URI" net-list --name 2>/dev/null); do
      virsh -c "$URI" net-destroy "$n" >/dev/null 2>&1 && say "destroyed network $n"
    done
  fi
  kill_recorded libvirtd
  kill_recorded virtlogd
  if [ -f "$STATE/created-netns" ]; then
    ip netns del "$NS" 2>/dev/null && say "deleted network namespace $NS"
  fi
  rm -rf "$STATE"
}

status() {
  local pid where
  if ! pid="$(alive "$LIBVIRTD_PID" libvirtd)"; then say "libvirtd is not running"; exit 3; fi
  where="$(netns_of "$pid")"
  if [ "$where" != "$NS" ]; then say "libvirtd (pid $pid) runs in $where, not in $NS"; exit 3; fi
  answers || { say "libvirtd (pid $pid) runs in $NS but does not answer"; exit 3; }
  say "libvirtd (pid $pid) runs in $NS and answers on $URI"
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status NETNS" 2 ;;
esac
