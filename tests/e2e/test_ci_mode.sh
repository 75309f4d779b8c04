#!/usr/bin/env bash
# End to end, through a real libvirtd (in a network namespace) and QEMU (TCG) on the
# vmlab-tiny box: `vmlab ci` brings a two-node lab up, runs a host command against it with the
# lab's facts, keeps the artifacts and destroys the lab, always:
#  - a passing command (real `ssh -F $VMLAB_SSH_CONFIG` to both nodes): exit 0
#  - a failing command: its exit status; the nodes' system logs are collected
#  - SIGTERM to vmlab while the command runs (a CI runner's cancel): 143, the command told
#  - Ctrl-C to the whole process group (a terminal's): the command hears it once, from vmlab
#  - an `up` that fails on one node: 90, the command never runs
# Each time: no domain, network or volume of the lab is left; artifacts are in place.
# And `vmup` interrupted by two Ctrl-Cs (stop now) is finished by the next `vmup` and removed
# completely by `vmdestroy -f`.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
e2e_setup vmlab-e2e
e2e_purge_lab e2eci
e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
P="$E2E_TMP/project"
cd "$P"
NET="$(e2e_free_net 70)"
write_vmfile() {  # $1: node2's step script
  cat > Vmfile <<EOF
name = "e2eci"

[defaults]
box = "vmlab-tiny"
memory = "256MiB"

[[network]]
name = "lab"
cidr = "$NET.0/24"

[[node]]
name = "node1"
ip = "$NET.11"
  [[node.provision]]
  name = "hello"
  type = "shell"
  inline = "echo hello-from-\$(hostname)"

[[node]]
name = "node2"
ip = "$NET.12"
  [[node.provision]]
  name = "second"
  type = "shell"
  inline = "$1"
EOF
}
write_vmfile "echo second-step"
vm() { in_ns "$VMLAB" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
e2e_log "lab id $LAB_ID, network $NET.0/24"

check_artifacts() {  # DIR: what every run leaves
  local d="$1" f
  for f in events.jsonl junit.xml status.json command.log console/node1.log console/node2.log; do
    [ -s "$d/$f" ] || [ "$f" = command.log ] || e2e_fail "artifact $d/$f missing or empty"
  done
  python3 - "$d/junit.xml" <<'EOF' || e2e_fail "junit.xml does not parse"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
assert r.tag == "testsuites", r.tag
print("junit:", r.get("tests"), "tests,", r.get("failures"), "failures,", r.get("skipped"), "skipped")
EOF
  python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$d/events.jsonl" \
    || e2e_fail "events.jsonl has a line that is not JSON"
}

e2e_log "1. a passing command: ssh -F \$VMLAB_SSH_CONFIG to both nodes"
set +e
vm ci --artifacts "$E2E_TMP/a1" -- sh -c \
  'for n in node1 node2; do ssh -F "$VMLAB_SSH_CONFIG" -o BatchMode=yes $n hostname || exit 1; done; grep -c ansible_user "$VMLAB_INVENTORY"' \
  > "$E2E_TMP/ci1.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/ci1.log"
assert_eq 0 "$RC" "exit code of a passing ci run"
assert_contains "$(cat "$E2E_TMP/a1/command.log")" "node1"
assert_contains "$(cat "$E2E_TMP/a1/command.log")" "node2"
assert_contains "$(cat "$E2E_TMP/a1/steps/node1/hello.log")" "hello-from-node1"
check_artifacts "$E2E_TMP/a1"
e2e_assert_lab_gone "$LAB_ID"
[ ! -e .vmlab/state.json ] || e2e_fail "the lab's record is still there after ci"

e2e_log "2. a failing command: its status, system logs collected"
set +e
vm ci --artifacts "$E2E_TMP/a2" -- sh -c 'echo about-to-fail; exit 7' > "$E2E_TMP/ci2.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/ci2.log"
assert_eq 7 "$RC" "exit code of a ci run whose command fails"
check_artifacts "$E2E_TMP/a2"
[ -s "$E2E_TMP/a2/system/node1.log" ] || e2e_fail "no system log of node1"
assert_contains "$(cat "$E2E_TMP/a2/junit.xml")" 'failure message="exit status 7"'
e2e_assert_lab_gone "$LAB_ID"

e2e_log "3. SIGTERM to vmlab while the command runs"
M="$E2E_TMP/told3"
set +e
setsid ip netns exec "$E2E_NETNS" "$VMLAB" ci --json --artifacts "$E2E_TMP/a3" -- sh -c \
  "trap 'echo TERM >> $M; exit 9' TERM; echo ready; while :; do sleep 1; done" \
  > "$E2E_TMP/ci3.log" 2>&1 &
CI_PID=$!
for _ in $(seq 1 1800); do grep -q '"line":"ready"' "$E2E_TMP/ci3.log" && break; sleep 0.2; done
grep -q '"line":"ready"' "$E2E_TMP/ci3.log" || { cat "$E2E_TMP/ci3.log"; e2e_fail "the command did not start"; }
T0=$(date +%s)
kill -TERM "$(pgrep -P "$CI_PID" -x vmlab || echo "$CI_PID")"
wait "$CI_PID"; RC=$?
set -e
tail -n 5 "$E2E_TMP/ci3.log"
assert_eq 143 "$RC" "exit code of a ci run ended by SIGTERM"
assert_eq "TERM" "$(cat "$M")" "what the command heard"
e2e_log "SIGTERM -> lab gone in $(($(date +%s) - T0)) s"
check_artifacts "$E2E_TMP/a3"
grep -q '"event":"ci-done"' "$E2E_TMP/ci3.log" || e2e_fail "no ci-done event in --json output"
e2e_assert_lab_gone "$LAB_ID"

e2e_log "4. Ctrl-C to the whole process group (as a terminal sends it)"
M="$E2E_TMP/told4"
set +e
setsid ip netns exec "$E2E_NETNS" "$VMLAB" ci --artifacts "$E2E_TMP/a4" -- sh -c \
  "trap 'echo INT >> $M; exit 9' INT; echo ready; while :; do sleep 1; done" \
  > "$E2E_TMP/ci4.log" 2>&1 &
CI_PID=$!
for _ in $(seq 1 1800); do grep -qx 'ready' "$E2E_TMP/ci4.log" && break; sleep 0.2; done
kill -INT -- "-$CI_PID"   # setsid made it a group leader: the whole group, like a tty's ^C
wait "$CI_PID"; RC=$?
set -e
tail -n 5 "$E2E_TMP/ci4.log"
assert_eq 130 "$RC" "exit code of a ci run ended by Ctrl-C"
assert_eq "INT" "$(cat "$M")" "the command heard Ctrl-C once (from vmlab, not also from the tty)"
e2e_assert_lab_gone "$LAB_ID"

e2e_log "5. an up that fails on node2: 90, the command never runs"
write_vmfile "echo broken >&2; exit 3"
set +e
vm ci --artifacts "$E2E_TMP/a5" -- touch "$E2E_TMP/ran5" > "$E2E_TMP/ci5.log" 2>&1; RC=$?
set -e
cat "$E2E_TMP/ci5.log"
assert_eq 90 "$RC" "exit code of a ci run whose lab did not come up"
[ ! -e "$E2E_TMP/ran5" ] || e2e_fail "the command ran although up failed"
check_artifacts "$E2E_TMP/a5"
assert_contains "$(cat "$E2E_TMP/a5/steps/node2/second.log")" "broken"
[ -s "$E2E_TMP/a5/system/node2.log" ] || e2e_fail "no system log of the failed node2"
e2e_assert_lab_gone "$LAB_ID"
write_vmfile "echo second-step"

e2e_log "6. vmup, Ctrl-C twice during a long step (stop now): the next up finishes, destroy removes all"
write_vmfile "sleep 30; echo second-step"
set +e
setsid ip netns exec "$E2E_NETNS" "$VMLAB" up > "$E2E_TMP/up6.log" 2>&1 &
UP_PID=$!
for _ in $(seq 1 1800); do grep -q "second: running" "$E2E_TMP/up6.log" 2>/dev/null && break; sleep 0.2; done
grep -q "second: running" "$E2E_TMP/up6.log" || { cat "$E2E_TMP/up6.log"; e2e_fail "node2's step did not start"; }
kill -INT -- "-$UP_PID"   # once: the step runs on, the safe point is after it
sleep 2
kill -INT -- "-$UP_PID"   # twice: stop now
wait "$UP_PID"; RC=$?
set -e
cat "$E2E_TMP/up6.log"
assert_eq 130 "$RC" "exit code of an up aborted by a second Ctrl-C"
assert_contains "$(cat "$E2E_TMP/up6.log")" "stopping at the next safe point"
assert_contains "$(cat "$E2E_TMP/up6.log")" "aborted"
vm up > "$E2E_TMP/up7.log" 2>&1 || { cat "$E2E_TMP/up7.log"; e2e_fail "the up after an abort failed"; }
assert_contains "$(cat "$E2E_TMP/up7.log")" "is up"
assert_eq "hello-from-node1" "$(vm ssh node1 -c 'echo hello-from-$(hostname)')" "node1 after the abort"
vm destroy -f >/dev/null
e2e_assert_lab_gone "$LAB_ID"
e2e_log "PASS"
