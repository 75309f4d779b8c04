#!/usr/bin/env bash
# Boots a box under plain QEMU (TCG, never KVM) with hand-made seeds and checks what vmlab
# relies on: ssh login with the injected key and a pinned host key, the hostname, sftp, a
# static address on a private NIC (two VMs joined by a QEMU socket link on 127.0.0.1, ping
# across), and ACPI shutdown (system_powerdown) ending the VM. Loopback only.
#   usage: boxes/smoke-test.sh BOXDIR [VMS=2]     (needs root only for nothing; qemu, ssh, xorriso)
# Prints the boot-to-ssh time of each VM; exit 0 only if every check passed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BOX="$(cd "$1" && pwd)"; VMS="${2:-2}"
W="$(mktemp -d /tmp/vmlab-smoke.XXXXXX)"
user="$(sed -n 's/.*"user":"\([^"]*\)".*/\1/p' "$BOX/box.json")"
kernel="$(sed -n 's/.*"kernel":"\([^"]*\)".*/\1/p' "$BOX/box.json")"
initrd="$(sed -n 's/.*"initrd":"\([^"]*\)".*/\1/p' "$BOX/box.json")"
cmdline="$(sed -n 's/.*"cmdline":"\([^"]*\)".*/\1/p' "$BOX/box.json")"
mem=256; grep -q '"seed":"cloud-init"' "$BOX/box.json" && mem=768
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
cleanup() {
  for p in "$W"/vm*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ssh-keygen -q -t ed25519 -N '' -C vmlab-smoke -f "$W/id"
link_port="$(free_port)"
for i in $(seq 1 "$VMS"); do
  ssh-keygen -q -t ed25519 -N '' -C "host$i" -f "$W/host$i"
  echo "[127.0.0.1]:PORT$i $(cut -d' ' -f1,2 "$W/host$i.pub")" >"$W/known$i"
  printf '127.0.0.1 localhost\n' >"$W/hosts"; for j in $(seq 1 "$VMS"); do echo "10.77.0.$j node$j" >>"$W/hosts"; done
  HOSTS_FILE="$W/hosts" "$HERE/make-seed.sh" "$W/seed$i.iso" "node$i" "$user" "$W/id.pub" "$W/host$i" \
    "52:54:00:77:00:0$i dhcp" "52:54:00:77:01:0$i 10.77.0.$i/24"
  qemu-img create -q -f qcow2 -F qcow2 -b "$BOX/box.qcow2" "$W/disk$i.qcow2"
  port="$(free_port)"; echo "$port" >"$W/port$i"
  sed -i "s/PORT$i/$port/" "$W/known$i"
  if [ "$i" = 1 ]; then link="listen=127.0.0.1:$link_port"; else link="connect=127.0.0.1:$link_port"; fi
  date +%s.%N >"$W/start$i"
  qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp 1 -m "$mem" -display none -no-user-config \
    -kernel "$BOX/$kernel" -initrd "$BOX/$initrd" -append "$cmdline${EXTRA_CMDLINE:+ $EXTRA_CMDLINE}" \
    -drive "file=$W/disk$i.qcow2,if=virtio,cache=unsafe" -drive "file=$W/seed$i.iso,media=cdrom" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" -device "virtio-net-pci,netdev=n0,mac=52:54:00:77:00:0$i" \
    -netdev "socket,id=n1,$link" -device "virtio-net-pci,netdev=n1,mac=52:54:00:77:01:0$i" \
    -device virtio-rng-pci -serial "file:$W/console$i.log" -monitor "unix:$W/mon$i,server,nowait" \
    -pidfile "$W/vm$i.pid" -daemonize
  [ "$i" = 1 ] && sleep 0.3  # the listen side must exist before the connect side
done

vssh() { local i="$1"; shift; ssh -q -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$W/known$i" -o GlobalKnownHostsFile=/dev/null -i "$W/id" -p "$(cat "$W/port$i")" "$user@127.0.0.1" "$@"; }
for i in $(seq 1 "$VMS"); do
  ok=""
  for _ in $(seq 1 480); do
    if vssh "$i" true 2>/dev/null; then ok=1; break; fi
    sleep 0.5
  done
  t="$(echo "$(date +%s.%N) - $(cat "$W/start$i")" | bc)"
  if [ -n "$ok" ]; then pass "vm$i: ssh with the injected key and pinned host key after ${t%??????} s (guest uptime $(vssh "$i" cat /proc/uptime | cut -d' ' -f1) s)"
  else fail "vm$i: no ssh after ${t%??????} s; console:"; tail -n 30 "$W/console$i.log"; fi
done
[ "$fails" = 0 ] || exit 1
if [ "$mem" != 256 ]; then  # cloud-init box: sshd restarts during modules:config; wait for the end
  for i in $(seq 1 "$VMS"); do
    for _ in $(seq 1 60); do vssh "$i" cloud-init status --wait >/dev/null 2>&1 && break; sleep 2; done
    t="$(echo "$(date +%s.%N) - $(cat "$W/start$i")" | bc)"
    st="$(vssh "$i" cloud-init status 2>&1 || true)"
    [ "$st" = "status: done" ] && pass "vm$i: cloud-init done after ${t%??????} s" || fail "vm$i: cloud-init: $st"
  done
  echo "cloud-init schema of vm1: $(vssh 1 sudo -n cloud-init schema --system 2>&1 | tr '\n' ' ' || true)"
  echo "cloud-init stages of vm1:"; vssh 1 "cloud-init analyze show 2>/dev/null | grep -E '^Finished stage|Total Time'" || true
fi

for i in $(seq 1 "$VMS"); do
  h="$(vssh "$i" hostname || true)"; [ "$h" = "node$i" ] && pass "vm$i: hostname $h" || fail "vm$i: hostname '$h' != node$i"
  echo "hello-$i" >"$W/up$i"
  if vssh "$i" true && sftp -q -b - -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$W/known$i" -o GlobalKnownHostsFile=/dev/null \
       -i "$W/id" -P "$(cat "$W/port$i")" "$user@127.0.0.1" >/dev/null <<SFTP && [ "$(vssh "$i" cat /tmp/up$i)" = "hello-$i" ]; then
put $W/up$i /tmp/up$i
get /tmp/up$i $W/down$i
SFTP
    cmp -s "$W/up$i" "$W/down$i" && pass "vm$i: sftp put/get" || fail "vm$i: sftp get differs"
  else fail "vm$i: sftp"; fi
  a="$(vssh "$i" ip -4 -o addr show || true)"
  echo "$a" | grep -q "10.77.0.$i/24" && pass "vm$i: static address 10.77.0.$i/24 on the private NIC" || fail "vm$i: no 10.77.0.$i/24 in: $a"
  s="$(vssh "$i" sudo -n -- id -u || true)"; [ "$s" = 0 ] && pass "vm$i: sudo -n works" || fail "vm$i: sudo -n -> '$s'"
  grep -q "node$VMS" <(vssh "$i" cat /etc/hosts || true) && pass "vm$i: /etc/hosts lists the nodes" || fail "vm$i: /etc/hosts"
done
if [ "$VMS" -ge 2 ]; then
  vssh 1 ping -c 2 -W 3 10.77.0.2 >/dev/null && pass "vm1 -> vm2 ping over the private link" || fail "vm1 -> vm2 ping"
fi

for i in $(seq 1 "$VMS"); do
  pid="$(cat "$W/vm$i.pid")"; t0="$(date +%s.%N)"
  echo system_powerdown | socat - "UNIX-CONNECT:$W/mon$i" >/dev/null
  for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  t="$(echo "$(date +%s.%N) - $t0" | bc)"
  if kill -0 "$pid" 2>/dev/null; then fail "vm$i: still running 60 s after system_powerdown"
  else pass "vm$i: ACPI shutdown ended the VM in ${t%??????} s"; fi
done
echo "console of vm1:"; grep -a 'vmlab-init\|cloud-init.*finished' "$W/console1.log" | head -n 40 || true
[ "$fails" = 0 ] && echo "smoke-test: all checks passed" || { echo "smoke-test: $fails check(s) failed"; exit 1; }
