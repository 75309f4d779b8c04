#!/usr/bin/env bash
# End to end, through a real libvirtd (inside a network namespace: this test starts one, or
# uses the one that already runs, e.g. scripts/demo.sh's, without touching its lab) and QEMU
# (TCG): a three-node lab with a private network on the vmlab-tiny box.
#  - an `up` interrupted with Ctrl-C (SIGINT) is finished by the next `up`
#  - every node answers over SSH with its injected host key verified; hostnames and
#    /etc/hosts are right; the nodes reach each other on their private addresses
#  - shell and file steps; a cross-node `after` edge (node2 fetches what node1 served)
#  - a failing step is reported with its node, step and last output; other nodes finish
#  - a second `up` runs nothing; `vmstatus` is timed (printed, not asserted)
#  - `vmssh -c`, `vmlab exec all`, `ssh-config` used by the real ssh client, `inventory`
#  - a changed host key is refused with a message that says so
#  - a domain removed behind vmlab's back shows as not created and the next `up` recreates it
#  - `vmdestroy -f` leaves no domain, volume or network with the lab's prefix
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
e2e_purge_lab e2e3
e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
P="$E2E_TMP/project"
cd "$P"
mkdir -p files/etc
echo "payload-42" > files/etc/lab.conf
cat > Vmfile <<'EOF'
name = "e2e3"

[defaults]
box = "vmlab-tiny"
memory = "256MiB"

[[network]]
name = "lab"
cidr = "192.168.58.0/24"   # replaced below by a free subnet (e2e_free_net)

[[node]]
name = "node1"
ip = "192.168.58.11"

  [[node.provision]]
  name = "serve"
  type = "shell"
  inline = "mkdir -p /srv && echo \"token-from-$(hostname)-$RANDOM\" > /srv/token && busybox httpd -p 8080 -h /srv"

  [[node.provision]]
  name = "conf"
  type = "file"
  source = "files"
  destination = "/opt/lab"

[[node]]
name = "node2"
ip = "192.168.58.12"

  [[node.provision]]
  name = "fetch"
  type = "shell"
  after = ["node1:serve"]
  inline = "wget -q -O /tmp/got http://node1:8080/token && cat /tmp/got"

[[node]]
name = "node3"
ip = "192.168.58.13"

  [[node.provision]]
  name = "picky"
  type = "shell"
  env = { GREETING = "hello" }
  inline = "echo \"$GREETING from $(hostname)\"; test -f /tmp/allow || { echo 'boom: /tmp/allow is missing' >&2; exit 3; }"
EOF
# Another lab (e.g. the demo's) may be up in the same libvirtd: take a subnet nobody uses.
NET="$(e2e_free_net 58)"
sed -i "s/192\.168\.58\./$NET./g" Vmfile
e2e_log "lab network: $NET.0/24"
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"

e2e_log "validate + plan"
vm validate
vm plan | tee "$E2E_TMP/plan.txt"
assert_contains "$(cat "$E2E_TMP/plan.txt")" "node1: create, start, wait for SSH, provision [serve, conf]"

e2e_log "up, interrupted with SIGINT once a machine is being created"
set +e
in_ns "$VMLAB" up > "$E2E_TMP/up0.log" 2>&1 &
UP_PID=$!
for _ in $(seq 1 300); do grep -q "creating" "$E2E_TMP/up0.log" && break; sleep 0.1; done
# The `ip netns exec` child is the vmlab process: signal it directly.
VMLAB_PID="$(pgrep -P "$UP_PID" -x vmlab || echo "$UP_PID")"
kill -INT "$VMLAB_PID"
wait "$UP_PID"; RC=$?
set -e
cat "$E2E_TMP/up0.log"
assert_eq 130 "$RC" "exit code of an interrupted up"

e2e_log "up (finishes the job; node3's step fails)"
set +e
vm up > "$E2E_TMP/up1.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/up1.log"
assert_eq 1 "$RC" "exit code of an up with a failing step"
UP1="$(cat "$E2E_TMP/up1.log")"
assert_contains "$UP1" "node3: step picky (shell) failed"
assert_contains "$UP1" "boom: /tmp/allow is missing"
assert_contains "$UP1" "hello from node3"

e2e_log "the cross-node edge: node2 saw node1's token"
TOKEN1="$(vm ssh node1 -c 'cat /srv/token')"
TOKEN2="$(vm ssh node2 -c 'cat /tmp/got')"
assert_contains "$TOKEN1" "token-from-node1-"
assert_eq "$TOKEN1" "$TOKEN2" "token fetched by node2"
assert_eq "payload-42" "$(vm ssh node1 -c 'cat /opt/lab/etc/lab.conf')" "file step"

e2e_log "hostnames, /etc/hosts, private network"
for n in node1 node2 node3; do
  assert_eq "$n" "$(vm ssh "$n" -c hostname)" "hostname of $n"
  HOSTS="$(vm ssh "$n" -c 'cat /etc/hosts')"
  assert_contains "$HOSTS" "$NET.11"
  if grep -E "^127\.0\.[0-9]+\.1[[:space:]].*\b$n\b" <<<"$HOSTS"; then e2e_fail "$n maps its own name to 127.0.x.1"; fi
done
vm ssh node1 -c "ping -c 1 -W 3 $NET.12 && ping -c 1 -W 3 node3" >/dev/null
vm ssh node3 -c "ping -c 1 -W 3 $NET.11" >/dev/null

e2e_log "fix node3 and up again: only its failed step runs"
vm ssh node3 -c 'touch /tmp/allow'
vm up > "$E2E_TMP/up2.log" 2>&1 || { cat "$E2E_TMP/up2.log"; e2e_fail "second up failed"; }
cat "$E2E_TMP/up2.log"
UP2="$(cat "$E2E_TMP/up2.log")"
assert_contains "$UP2" "picky: done"
if grep -q "serve: running" <<<"$UP2"; then e2e_fail "second up re-ran node1's serve step"; fi

e2e_log "a third up is a no-op"
START=$(date +%s%N)
UP3="$(vm up 2>&1)"
END=$(date +%s%N)
assert_contains "$UP3" "nothing to do"
echo "up (no-op) took $(( (END - START) / 1000000 )) ms"

e2e_log "status"
START=$(date +%s%N)
STATUS="$(vm status)"
END=$(date +%s%N)
echo "$STATUS"
echo "vmstatus took $(( (END - START) / 1000000 )) ms (3 running nodes)"
[ "$(grep -c ' running ' <<<"$STATUS")" = 3 ] || e2e_fail "status does not show 3 running nodes"
JSON="$(vm status --json)"
assert_contains "$JSON" '"provisioning": "provisioned"'

e2e_log "vmssh -c exit status, exec all, ssh-config with the real ssh, inventory"
set +e; vm ssh node2 -c 'exit 7'; RC=$?; set -e
assert_eq 7 "$RC" "vmssh -c exit status"
EXEC="$(vm exec all -- hostname)"
echo "$EXEC"
for n in node1 node2 node3; do assert_contains "$EXEC" "$n | $n"; done
set +e; vm exec all -- 'test $(hostname) != node2'; RC=$?; set -e
assert_eq 1 "$RC" "exec all with one failing node"
vm ssh-config > "$E2E_TMP/ssh_config"
assert_contains "$(cat "$E2E_TMP/ssh_config")" "StrictHostKeyChecking yes"
assert_eq "node2" "$(in_ns ssh -F "$E2E_TMP/ssh_config" node2 hostname)" "real ssh with ssh-config"
vm inventory > "$E2E_TMP/inventory.ini"
cat "$E2E_TMP/inventory.ini"
assert_contains "$(cat "$E2E_TMP/inventory.ini")" "node1 ansible_user="
echo "scp via ssh-config" > "$E2E_TMP/scp.txt"
in_ns scp -q -F "$E2E_TMP/ssh_config" "$E2E_TMP/scp.txt" node3:/tmp/scp.txt
assert_eq "scp via ssh-config" "$(in_ns ssh -F "$E2E_TMP/ssh_config" node3 cat /tmp/scp.txt)" "real scp with ssh-config"
# A real ansible-playbook (Debian's ansible-core) with the inventory as generated: raw module
# (the tiny box has no python), host keys verified through the -F file; no ControlPersist
# master left behind.
command -v ansible-playbook >/dev/null || e2e_fail "missing ansible-playbook: run scripts/install-deps.sh (ansible-core)"
cat > "$E2E_TMP/play.yml" <<'EOF'
- hosts: all
  gather_facts: false
  tasks:
    - raw: hostname
      register: h
      changed_when: false
    - assert: {that: "h.stdout | trim == inventory_hostname"}
EOF
PLAY="$(in_ns env HOME="$E2E_TMP" ANSIBLE_LOCAL_TEMP="$E2E_TMP/ansible-tmp" ANSIBLE_SSH_ARGS="-o ControlMaster=no" \
  ANSIBLE_NOCOLOR=1 ansible-playbook -i "$E2E_TMP/inventory.ini" "$E2E_TMP/play.yml" 2>&1)" \
  || { echo "$PLAY"; e2e_fail "ansible-playbook with vmlab's inventory failed"; }
echo "$PLAY" | tail -n 5
for n in node1 node2 node3; do
  grep -E "^$n +: ok=2 .*unreachable=0 +failed=0" <<<"$PLAY" >/dev/null || e2e_fail "ansible: $n not ok=2"
done

e2e_log "a changed host key is refused"
cp .vmlab/hostkeys/node1/ssh_host_ed25519_key.pub "$E2E_TMP/saved.pub"
ssh-keygen -q -t ed25519 -N '' -f "$E2E_TMP/other" -C other
cp "$E2E_TMP/other.pub" .vmlab/hostkeys/node1/ssh_host_ed25519_key.pub
set +e; OUT="$(vm ssh node1 -c true 2>&1)"; RC=$?; set -e
cp "$E2E_TMP/saved.pub" .vmlab/hostkeys/node1/ssh_host_ed25519_key.pub
echo "$OUT"
[ "$RC" != 0 ] || e2e_fail "a wrong host key was accepted"
assert_contains "$OUT" "host key mismatch"

e2e_log "a domain removed behind vmlab's back"
LAB_ID="$(vm status --json | sed -n 's/.*"lab_id": "\(.*\)".*/\1/p')"
in_ns virsh -c qemu:///system destroy "vmlab-$LAB_ID-node2" >/dev/null
in_ns virsh -c qemu:///system undefine "vmlab-$LAB_ID-node2" >/dev/null
assert_contains "$(vm status | grep node2)" "not created"
vm up > "$E2E_TMP/up4.log" 2>&1 || { cat "$E2E_TMP/up4.log"; e2e_fail "up after removal failed"; }
cat "$E2E_TMP/up4.log"
assert_contains "$(cat "$E2E_TMP/up4.log")" "node2 | creating"
assert_eq "$TOKEN1" "$(vm ssh node2 -c 'cat /tmp/got')" "node2 re-provisioned"

e2e_log "halt"
VMLAB_HALT_TIMEOUT=30 vm halt node3
assert_contains "$(vm status | grep node3)" "stopped"

e2e_log "vmlab ls finds the lab from libvirt's records; doctor sees the daemon's namespace"
START=$(date +%s%N)
LS="$(cd / && vm ls)"
END=$(date +%s%N)
echo "$LS"
echo "vmlab ls took $(( (END - START) / 1000000 )) ms"
grep -E "^$LAB_ID +libvirt +partly +3 +$P\$" <<<"$LS" >/dev/null || e2e_fail "ls: $LAB_ID not partly/3/$P"
set +e; DOC="$(vm doctor --json)"; set -e
echo "$DOC"
python3 -c 'import json,sys; d=json.load(sys.stdin); c=[x for x in d["checks"] if x["name"]=="provider"][0]; sys.exit(0 if c["level"]=="ok" and "network namespace" in c["detail"] else 1)' <<<"$DOC" \
  || e2e_fail "doctor: provider check not ok or without the daemon's namespace"

e2e_log "destroy leaves nothing"
vm destroy -f
e2e_assert_lab_gone "$LAB_ID"
[ ! -e .vmlab/state.json ] || e2e_fail ".vmlab/state.json left after destroy"
echo "PASS: three-node lab"
