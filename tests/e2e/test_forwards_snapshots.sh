#!/usr/bin/env bash
# End to end, through a real libvirtd (in a network namespace) and QEMU (TCG) on the
# vmlab-tiny box, two day-two features on libvirt:
# Forwarded ports (the lab's relay process, executor/forwards.hpp):
#  - each node's guest port 22 on a fixed 127.0.0.1 port (the book's SuperPuTTY workflow):
#    the real ssh client logs in through it; vmstatus and ssh-config show the forwards
#  - a second lab asking for a port the first holds: exit 2 naming the port and that lab,
#    nothing of the second lab created
#  - vmhalt closes the ports, vmup opens them again (a new relay, the guests' new addresses)
# Whole-lab snapshots:
#  - save (running lab), a file written on every node, restore: the file is gone on every
#    node, vmssh works (host keys unchanged), vmup is a no-op; a snapshot of the halted lab
#  - a restore under a changed Vmfile warns and says what differs; list; delete
# vmdestroy -f: no domain, network or volume left, the relay process gone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
e2e_purge_lab e2efwd
e2e_purge_lab e2efwd2
e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
P="$E2E_TMP/project"
cd "$P"
NET="$(e2e_free_net 80)"
# Two fixed host ports free in the namespace.
read -r PORT1 PORT2 < <(in_ns python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
write_vmfile() {  # $1: memory of the nodes
  cat > Vmfile <<EOF
name = "e2efwd"

[defaults]
box = "vmlab-tiny"
memory = "$1"

[[network]]
name = "lab"
cidr = "$NET.0/24"

[[node]]
name = "node{i}"
count = 2
ip = "$NET.11"
forward = [{ guest = 22, host = $PORT1 }]   # node1: PORT1, node2: PORT1 + 1
  [[node.provision]]
  name = "mark"
  type = "shell"
  inline = "echo provisioned"
EOF
}
PORT2=$((PORT1 + 1))
in_ns python3 -c "import socket; socket.socket().bind(('127.0.0.1', $PORT2))" \
  || e2e_skip "port $PORT2 is taken in the namespace"
write_vmfile 256MiB
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
e2e_log "lab id $LAB_ID, network $NET.0/24, forwards 127.0.0.1:$PORT1 and :$PORT2"

# ssh NODE through 127.0.0.1:PORT with the lab's key and pinned host key (its ssh-config,
# HostName and Port overridden: the forward, not the guest's address).
ssh_fwd() {  # NODE PORT CMD
  in_ns ssh -F "$E2E_TMP/ssh_config" -o BatchMode=yes -o ConnectTimeout=20 \
    -o HostName=127.0.0.1 -o Port="$2" "$1" "$3"
}
port_closed() {  # PORT: nothing accepts on 127.0.0.1:PORT
  ! in_ns timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

e2e_log "1. vmup: forwards bound on 127.0.0.1, the real ssh client through them"
vm up > "$E2E_TMP/up1.log" 2>&1 || { cat "$E2E_TMP/up1.log"; e2e_fail "vmup failed"; }
cat "$E2E_TMP/up1.log"
assert_contains "$(cat "$E2E_TMP/up1.log")" "forwarding 127.0.0.1:$PORT1/tcp to guest port 22"
vm ssh-config > "$E2E_TMP/ssh_config"
assert_eq node1 "$(ssh_fwd node1 "$PORT1" hostname)" "ssh through 127.0.0.1:$PORT1"
assert_eq node2 "$(ssh_fwd node2 "$PORT2" hostname)" "ssh through 127.0.0.1:$PORT2"
# Bound on loopback only.
in_ns ss -ltnH "sport = :$PORT1" | grep -q "127.0.0.1:$PORT1" || e2e_fail "port $PORT1 is not bound on 127.0.0.1"
in_ns ss -ltnH "sport = :$PORT1" | grep -qv "127.0.0.1:$PORT1" && e2e_fail "port $PORT1 bound beyond loopback"
STATUS="$(vm status)"
echo "$STATUS"
assert_contains "$STATUS" "127.0.0.1:$PORT1->22/tcp"
assert_contains "$(vm ssh-config)" "# forwarded: 127.0.0.1:$PORT2 -> guest port 22/tcp"
FWD_PID="$(cat .vmlab/forwarder.pid)"
[ "$(ps -o sid= -p "$FWD_PID" | tr -d ' ')" = "$FWD_PID" ] || e2e_fail "the relay is not in its own session"

e2e_log "2. a second lab asking for the same port: exit 2, naming the port and the first lab"
P2="$E2E_TMP/project2"
mkdir -p "$P2"
sed -e 's/^name = "e2efwd"/name = "e2efwd2"/' -e "s/$NET/$(e2e_free_net 120)/" Vmfile > "$P2/Vmfile"
set +e
(cd "$P2" && in_ns "$VMLAB" up) > "$E2E_TMP/up2.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/up2.log"
assert_eq 2 "$RC" "exit code of a lab whose port is taken"
assert_contains "$(cat "$E2E_TMP/up2.log")" "127.0.0.1:$PORT1/tcp"
assert_contains "$(cat "$E2E_TMP/up2.log")" "vmlab's port forwarder of lab $LAB_ID"
assert_contains "$(cat "$E2E_TMP/up2.log")" "$P2/Vmfile:"
[ -z "$(in_ns virsh -c qemu:///system list --all --name | grep vmlab-e2efwd2- || true)" ] \
  || e2e_fail "the refused lab created a machine"
[ -z "$(in_ns virsh -c qemu:///system net-list --all --name | grep vmlab-e2efwd2- || true)" ] \
  || e2e_fail "the refused lab created a network"

e2e_log "3. vmhalt closes the ports; vmup opens them again"
vm halt > /dev/null
port_closed "$PORT1" || e2e_fail "port $PORT1 still open after vmhalt"
kill -0 "$FWD_PID" 2>/dev/null && e2e_fail "the relay outlived vmhalt"
vm up > "$E2E_TMP/up3.log" 2>&1 || { cat "$E2E_TMP/up3.log"; e2e_fail "second vmup failed"; }
vm ssh-config > "$E2E_TMP/ssh_config"
assert_eq node1 "$(ssh_fwd node1 "$PORT1" hostname)" "ssh through 127.0.0.1:$PORT1 after halt/up"
# A relay killed behind vmlab's back comes back with the next (no-op) vmup.
kill "$(cat .vmlab/forwarder.pid)"
sleep 1
port_closed "$PORT1" || e2e_fail "port $PORT1 open with the relay killed"
assert_contains "$(vm up 2>&1)" "nothing to do"
assert_eq node2 "$(ssh_fwd node2 "$PORT2" hostname)" "ssh through the restarted relay"

# The tiny box runs from its initramfs (files under / live in RAM); what persists is its disk:
# a marker in one sector of /dev/vda (the node's qcow2 overlay) stands for the disk's content.
disk_mark() {  # NODE TEXT: writes TEXT into sector 4096 of the node's disk
  vm ssh "$1" -c "printf '%s\n' '$2' | dd of=/dev/vda bs=512 seek=4096 count=1 conv=sync,notrunc 2>/dev/null; sync"
}
disk_read() { vm ssh "$1" -c 'dd if=/dev/vda bs=512 skip=4096 count=1 2>/dev/null | head -n1'; }

e2e_log "4. snapshot of the running lab; a file and a disk write on every node; restore: both undone"
for n in node1 node2; do disk_mark $n "before-s1-$n"; done
T0=$(date +%s.%N)
vm snapshot save s1 > "$E2E_TMP/snap1.log" 2>&1 || { cat "$E2E_TMP/snap1.log"; e2e_fail "snapshot save failed"; }
e2e_log "snapshot save of 2 running nodes: $(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{printf "%.1f", a-b}') s"
for n in node1 node2; do
  vm ssh $n -c 'echo after > /root/after-snapshot'
  disk_mark $n "after-s1-$n"
done
assert_eq after "$(vm ssh node2 -c 'cat /root/after-snapshot')" "file written after the snapshot"
assert_eq after-s1-node2 "$(disk_read node2)" "disk written after the snapshot"
T0=$(date +%s.%N)
vm snapshot restore s1 > "$E2E_TMP/restore1.log" 2>&1 || { cat "$E2E_TMP/restore1.log"; e2e_fail "snapshot restore failed"; }
e2e_log "snapshot restore of 2 nodes (until both answer SSH): $(awk -v a="$(date +%s.%N)" -v b="$T0" 'BEGIN{printf "%.1f", a-b}') s"
cat "$E2E_TMP/restore1.log"
for n in node1 node2; do
  assert_eq gone "$(vm ssh $n -c 'test -e /root/after-snapshot && echo there || echo gone')" "$n's file after restore"
  assert_eq "before-s1-$n" "$(disk_read $n)" "$n's disk after restore"
done
assert_contains "$(vm up 2>&1)" "nothing to do"
assert_contains "$(vm snapshot list)" "s1"
assert_eq node1 "$(ssh_fwd node1 "$PORT1" hostname)" "the forward after a restore"

e2e_log "5. a snapshot of the halted lab; restore under a changed Vmfile warns what differs"
for n in node1 node2; do disk_mark $n "before-s2-$n"; done
vm halt > /dev/null
vm snapshot save s2 > /dev/null
vm up > /dev/null
for n in node1 node2; do disk_mark $n "after-s2-$n"; done
write_vmfile 288MiB
vm snapshot restore s2 > "$E2E_TMP/restore2.log" 2>&1 || { cat "$E2E_TMP/restore2.log"; e2e_fail "restore of the halted snapshot failed"; }
cat "$E2E_TMP/restore2.log"
assert_contains "$(cat "$E2E_TMP/restore2.log")" "the Vmfile differs"
assert_contains "$(cat "$E2E_TMP/restore2.log")" '- memory = "256MiB"'
assert_contains "$(cat "$E2E_TMP/restore2.log")" '+ memory = "288MiB"'
write_vmfile 256MiB
[ "$(vm status --json | python3 -c 'import json,sys; print(",".join(n["state"] for n in json.load(sys.stdin)["nodes"]))')" = "stopped,stopped" ] \
  || e2e_fail "a halted snapshot restored to running machines"
port_closed "$PORT1" || e2e_fail "forwards open for stopped nodes"
vm up > /dev/null
for n in node1 node2; do
  assert_eq "before-s2-$n" "$(disk_read $n)" "$n's disk after restoring the halted snapshot"
done
vm snapshot delete s1 > /dev/null
vm snapshot delete s2 > /dev/null
assert_contains "$(vm snapshot list)" "no snapshots"
set +e
vm snapshot restore s1 > "$E2E_TMP/restore3.log" 2>&1; RC=$?
set -e
assert_eq 2 "$RC" "restore of a deleted snapshot"

e2e_log "6. vmdestroy -f leaves nothing, the relay gone"
FWD_PID="$(cat .vmlab/forwarder.pid)"
vm destroy -f > /dev/null
e2e_assert_lab_gone "$LAB_ID"
kill -0 "$FWD_PID" 2>/dev/null && e2e_fail "the relay outlived vmdestroy"
port_closed "$PORT1" || e2e_fail "port $PORT1 open after vmdestroy"
e2e_log "PASS"
