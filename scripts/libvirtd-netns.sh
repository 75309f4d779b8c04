#!/usr/bin/env bash
# Runs libvirtd (+ virtlogd) inside a network namespace, without systemd, so that libvirt
# NAT/isolated networks, bridges and dnsmasq never touch the root namespace.
#   usage: scripts/libvirtd-netns.sh start|stop|status NETNS [--uplink]     (as root)
# start   creates NETNS if missing (lo up), starts `virtlogd -d` and `libvirtd -d` in it and
#         waits (<= 60 s; the first start probes QEMU for ~8 s) until
#         `virsh -c qemu:///system version` answers. There is one system libvirtd per host
#         (socket /run/libvirt/libvirt-sock, pid file /run/libvirtd.pid): if one already runs,
#         it is reused when it runs in NETNS, otherwise start fails (exit 1) and says where it
#         runs. The `default` network's autostart is always disabled.
# stop    undoes what start did, only that: destroys the domains/networks still active in a
#         libvirtd it started, kills the daemons it started (by the PIDs in their pid files)
#         and deletes NETNS if it created it. Idempotent.
# status  prints where libvirtd runs; exit 0 if it answers in NETNS, 3 otherwise. A second
#         line describes the uplink when start made one.
# --uplink (or VMLAB_UPLINK=1) with start: also gives NETNS an outbound uplink, made before
#         libvirtd starts, so that guests behind a libvirt NAT network in NETNS reach Debian's
#         archive. No interface or address appears in the root namespace: a holder process
#         (`sleep infinity` under `ip netns exec NETNS`) pins the namespace and
#         `slirp4netns --configure --mtu=65520 --disable-host-loopback HOLDER tap0` gives it
#         tap0 10.0.2.100/24, default route via 10.0.2.2 (user-mode NAT through ordinary host
#         sockets; the host's 127.0.0.1 is not reachable). DNS: /etc/netns/NETNS/resolv.conf
#         names slirp's resolver 10.0.2.3 (created only if missing; `ip netns exec` shows it
#         as /etc/resolv.conf, which libvirt's dnsmasq forwards to). stop ends exactly the
#         two recorded PIDs and removes resolv.conf only if start created it. Without the
#         option nothing of this happens.
# What start did is recorded in /run/vmlab-libvirtd/NETNS/.
set -euo pipefail

die() { echo "libvirtd-netns: error: $*" >&2; exit "${2:-1}"; }
say() { echo "libvirtd-netns: $*"; }
USAGE="usage: $0 start|stop|status NETNS [--uplink]"
[ $# -eq 2 ] || [ $# -eq 3 ] || die "$USAGE" 2
CMD="$1" NS="$2"
UPLINK="${VMLAB_UPLINK:-}"
[ "$UPLINK" = 0 ] && UPLINK=""
if [ $# -eq 3 ]; then
  [ "$3" = --uplink ] || die "$USAGE" 2
  UPLINK=1
fi
[[ "$NS" =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad namespace name '$NS'" 2
[ "$(id -u)" = 0 ] || die "must run as root (ip netns, libvirtd)" 2
STATE="/run/vmlab-libvirtd/$NS"
LIBVIRTD_PID=/run/libvirtd.pid
VIRTLOGD_PID=/run/virtlogd.pid
URI=qemu:///system
NETNS_ETC="/etc/netns/$NS"

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

tap_ready() { ip -n "$NS" -4 addr show dev tap0 2>/dev/null | grep -q 'inet 10\.0\.2\.100/'; }

# uplink_start: holder + slirp4netns + DNS for NS (see the header). Idempotent.
uplink_start() {
  local holder slirp
  command -v slirp4netns >/dev/null || die "--uplink needs slirp4netns (run scripts/install-deps.sh)"
  mkdir -p "$STATE"
  if slirp="$(alive "$STATE/slirp4netns.pid" slirp4netns)" && tap_ready; then
    say "uplink already up in $NS (slirp4netns pid $slirp)"
  elif ip -n "$NS" link show tap0 >/dev/null 2>&1; then
    die "$NS already has a tap0 that this script did not make; not adding an uplink"
  else
    # setsid: the two outlive this script and the caller's terminal signals. Started with &
    # by a shell without job control, setsid execs in place, so $! is their final PID.
    setsid ip netns exec "$NS" sleep infinity </dev/null >/dev/null 2>&1 &
    holder=$!
    for _ in $(seq 1 50); do [ "$(cat "/proc/$holder/comm" 2>/dev/null)" = sleep ] && break; sleep 0.1; done
    [ "$(cat "/proc/$holder/comm" 2>/dev/null)" = sleep ] || die "the namespace holder did not start"
    echo "$holder" >"$STATE/uplink-holder.pid"
    setsid slirp4netns --configure --mtu=65520 --disable-host-loopback "$holder" tap0 \
      </dev/null >"$STATE/slirp4netns.log" 2>&1 &
    slirp=$!
    echo "$slirp" >"$STATE/slirp4netns.pid"
    for _ in $(seq 1 100); do tap_ready && break; sleep 0.1; done
    tap_ready || { cat "$STATE/slirp4netns.log" >&2; die "slirp4netns (pid $slirp) did not configure tap0 in $NS"; }
    say "uplink: slirp4netns (pid $slirp) gives $NS tap0 10.0.2.100/24 via 10.0.2.2"
  fi
  if [ ! -e "$NETNS_ETC/resolv.conf" ]; then
    [ -d /etc/netns ] || touch "$STATE/created-etc-netns"
    [ -d "$NETNS_ETC" ] || { mkdir -p "$NETNS_ETC"; touch "$STATE/created-netns-etc"; }
    echo "nameserver 10.0.2.3" >"$NETNS_ETC/resolv.conf"
    touch "$STATE/created-resolv.conf"
    say "uplink: DNS for $NS is 10.0.2.3 ($NETNS_ETC/resolv.conf)"
  fi
}

uplink_stop() {
  local f
  for f in slirp4netns:slirp4netns uplink-holder:sleep; do
    kill_recorded "${f%%:*}" "${f#*:}"
  done
  if [ -f "$STATE/created-resolv.conf" ]; then
    rm -f "$NETNS_ETC/resolv.conf" && say "removed $NETNS_ETC/resolv.conf"
    rm -f "$STATE/created-resolv.conf"
  fi
  if [ -f "$STATE/created-netns-etc" ]; then
    rmdir "$NETNS_ETC" 2>/dev/null || true
    rm -f "$STATE/created-netns-etc"
  fi
  if [ -f "$STATE/created-etc-netns" ]; then
    rmdir /etc/netns 2>/dev/null || true
    rm -f "$STATE/created-etc-netns"
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
    if [ -n "$UPLINK" ]; then
      [ -e "$NETNS_ETC/resolv.conf" ] || say "note: libvirtd started before $NETNS_ETC/resolv.conf existed; its dnsmasq keeps forwarding to the host's resolvers"
      uplink_start
    fi
    return 0
  fi
  mkdir -p "$STATE"
  if [ ! -e "/run/netns/$NS" ]; then
    ip netns add "$NS"
    touch "$STATE/created-netns"
    say "created network namespace $NS"
  fi
  ip -n "$NS" link set lo up
  [ -z "$UPLINK" ] || uplink_start  # before libvirtd, whose mount namespace fixes its resolv.conf
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

# kill_recorded NAME [COMM]: kills the process start recorded in NAME.pid, if it is still
# that program (COMM, default NAME).
kill_recorded() {
  local f="$STATE/$1.pid" pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "${2:-$1}" ]; then
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
  uplink_stop
  if [ -f "$STATE/created-netns" ]; then
    ip netns del "$NS" 2>/dev/null && say "deleted network namespace $NS"
  fi
  rm -rf "$STATE"
}

status() {
  local rc=0
  libvirtd_status || rc=$?
  uplink_status
  exit "$rc"
}
libvirtd_status() {
  local pid where
  if ! pid="$(alive "$LIBVIRTD_PID" libvirtd)"; then say "libvirtd is not running"; return 3; fi
  where="$(netns_of "$pid")"
  if [ "$where" != "$NS" ]; then say "libvirtd (pid $pid) runs in $where, not in $NS"; return 3; fi
  answers || { say "libvirtd (pid $pid) runs in $NS but does not answer"; return 3; }
  say "libvirtd (pid $pid) runs in $NS and answers on $URI"
}
uplink_status() {
  local slirp
  [ -f "$STATE/slirp4netns.pid" ] || return 0
  if slirp="$(alive "$STATE/slirp4netns.pid" slirp4netns)" && tap_ready; then
    say "uplink: slirp4netns (pid $slirp), tap0 10.0.2.100/24 in $NS"
  else
    say "uplink: recorded but down (slirp4netns pid $(cat "$STATE/slirp4netns.pid"))"
  fi
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "$USAGE" 2 ;;
esac
