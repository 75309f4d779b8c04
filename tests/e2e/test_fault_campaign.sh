#!/usr/bin/env bash
# Fault campaign (CTest label `fault`; in the default run with FAULT_TRIALS=5, by hand e.g.
# FAULT_TRIALS=30 FAULT_SEED=7): a real libvirtd (network namespace), QEMU TCG, the vmlab-tiny
# box, two nodes each with a `once` step that counts its runs in a sector of its disk, 2 s long.
# Each trial kills a vmlab command with SIGKILL at a seeded random moment, then:
#  - the next `vmup` converges: every node running and provisioned, and each `once` step ran
#    exactly once, or at most twice when the killed run was inside that very step (its
#    step-start was printed, its step-done not);
#  - `vmdestroy -f` leaves no domain, network or volume of the lab (counted in libvirt) and
#    no .vmlab/state.json.
# Kinds (round robin): kill -9 of `vmup` (0-20 s in); of `vmhalt` (0-3 s in) then `vmup`; of
# `vmdestroy -f` (0-3 s in) then `vmdestroy -f` again. Plus: two `vmup` at once in one project
# (the second waits for the lock, then has nothing to do). Directed cases, each converging on
# the next `vmup` and leaving nothing after `vmdestroy -f`:
#  - libvirtd stopped (SIGTERM to the daemon this test started) and started again while `vmup`
#    waits for SSH (skipped when the test uses a libvirtd it did not start): that `vmup`
#    reconnects and finishes (exit 0), or fails only a node whose define/start was in flight,
#    with libvirt's lost-connection message (exit 1), and the next `vmup` converges;
#  - the QEMU process of n1 killed (SIGKILL by the pid libvirt recorded) while its step runs:
#    `vmup` exits 1 with n1's failure (the session's TCP keepalive gives up after ~2 min); the
#    next `vmup` starts n1 again and finishes the step;
#  - every sshd (dropbear) of n1's guest killed while its step runs: n1 fails with an error
#    that names SSH; busybox init respawns the listener and the next `vmup` finishes the step;
#  - two projects with one box and the same lab and node names brought up at once.
# A table of the trials and cases at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
TRIALS="${FAULT_TRIALS:-5}"
SEED="${FAULT_SEED:-$(date +%s)}"
RANDOM="$SEED"
e2e_setup vmlab-e2e
e2e_purge_lab e2efault
e2e_add_box vmlab-tiny "$E2E_TINY_BOX"
NET="$(e2e_free_net 90)"
e2e_log "$TRIALS trials, seed $SEED (FAULT_SEED=$SEED repeats them), network $NET.0/24"
vm() { in_ns "$VMLAB" "$@"; }
TABLE=()

new_project() {  # N [STEP_SECONDS=2] [NET]: a fresh project dir with the two-node Vmfile
  local p="$E2E_TMP/p$1" secs="${2:-2}" net="${3:-$NET}"
  mkdir -p "$p"
  cat > "$p/Vmfile" <<EOF
name = "e2efault"

[defaults]
box = "vmlab-tiny"
memory = "192MiB"

[[network]]
name = "lab"
cidr = "$net.0/24"

[[node]]
name = "n{i}"
count = 2
ip = "$net.11"
  [[node.provision]]
  name = "count"
  type = "shell"
  # counts its runs on the disk (the tiny box's files live in RAM; a halt loses them)
  inline = '''
n=\$(dd if=/dev/vda bs=512 skip=8192 count=1 2>/dev/null | head -c 16 | tr -dc 0-9)
printf '%016d' \$((\${n:-0} + 1)) | dd of=/dev/vda bs=512 seek=8192 count=1 conv=sync,notrunc 2>/dev/null
sync; sleep $secs
'''
EOF
  echo "$p"
}

# The number of libvirt objects of lab id $1 (domains, networks, volumes).
leftovers() {
  local n=0
  n=$((n + $(in_ns virsh -q -c qemu:///system list --all --name | grep -c "vmlab-$1-" || true)))
  n=$((n + $(in_ns virsh -q -c qemu:///system net-list --all --name | grep -c "vmlab-$1-" || true)))
  n=$((n + $(in_ns virsh -q -c qemu:///system vol-list vmlab 2>/dev/null | grep -c "vmlab-$1-" || true)))
  echo "$n"
}

# Runs CMD... in the background in the namespace, kills it with SIGKILL after $1 seconds (if it
# still runs); its output in $2. Prints "killed" or "finished".
kill_after() {
  local secs="$1" out="$2"
  shift 2
  # A simple command in the background: bash execs ip, which execs vmlab: $! is vmlab itself.
  ip netns exec "$E2E_NETNS" "$@" > "$out" 2>&1 &
  local pid=$!
  sleep "$secs"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo killed
  else
    wait "$pid" 2>/dev/null || true
    echo finished
  fi
}

# Checks a converged lab in the current project: both nodes running, provisioned, each step
# run once (twice allowed for a node whose step the killed run was inside: $1 = its JSON log).
check_converged() {
  local killed_log="$1" n runs allowed st
  st="$(vm status --json | python3 -c 'import json,sys; print(" ".join(n["state"]+"/"+n["provisioning"] for n in json.load(sys.stdin)["nodes"]))')"
  [ "$st" = "running/provisioned running/provisioned" ] || { echo "status: $st"; return 1; }
  for n in n1 n2; do
    runs="$(vm ssh $n -c 'dd if=/dev/vda bs=512 skip=8192 count=1 2>/dev/null | head -c 16 | tr -dc 0-9')" \
      || { echo "vmssh $n failed after the converging vmup"; return 1; }
    runs=$((10#${runs:-0}))
    allowed=1
    if [ -n "$killed_log" ] && python3 - "$killed_log" "$n" <<'EOF'
import json, sys
started = done = False
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("node") == sys.argv[2] and e.get("event") == "step-start": started = True
    if e.get("node") == sys.argv[2] and e.get("event") == "step-done": done = True
sys.exit(0 if started and not done else 1)
EOF
    then allowed=2; fi
    [ "$runs" -ge 1 ] && [ "$runs" -le "$allowed" ] || { echo "$n ran its once step $runs times (allowed 1..$allowed)"; return 1; }
  done
}

FAILED=0
for t in $(seq 1 "$TRIALS"); do
  P="$(new_project "$t")"
  cd "$P"
  LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
  e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
  kind=$(( (t - 1) % 3 ))
  result=ok
  killed_log=""
  case $kind in
    0)  what="kill -9 vmup"
        r=$RANDOM  # drawn here: a subshell would reseed it
        at="$(awk -v r=$r 'BEGIN{printf "%.1f", r % 200 / 10}')"
        how="$(kill_after "$at" "$E2E_TMP/t$t-killed.log" "$VMLAB" up --json)"
        killed_log="$E2E_TMP/t$t-killed.log" ;;
    1)  what="kill -9 vmhalt"
        vm up > "$E2E_TMP/t$t-up0.log" 2>&1 || { result="first up failed"; }
        r=$RANDOM  # drawn here: a subshell would reseed it
        at="$(awk -v r=$r 'BEGIN{printf "%.1f", r % 30 / 10}')"
        how="$(kill_after "$at" "$E2E_TMP/t$t-killed.log" "$VMLAB" halt --json)" ;;
    2)  what="kill -9 vmdestroy"
        vm up > "$E2E_TMP/t$t-up0.log" 2>&1 || { result="first up failed"; }
        r=$RANDOM  # drawn here: a subshell would reseed it
        at="$(awk -v r=$r 'BEGIN{printf "%.1f", r % 30 / 10}')"
        how="$(kill_after "$at" "$E2E_TMP/t$t-killed.log" "$VMLAB" destroy -f --json)" ;;
  esac
  if [ "$result" = ok ]; then
    if ! vm up --json > "$E2E_TMP/t$t-up.log" 2>&1; then
      result="vmup after the kill failed"
      tail -n 5 "$E2E_TMP/t$t-up.log"
    elif ! msg="$(check_converged "$killed_log")"; then
      result="not converged: $msg"
    fi
  fi
  vm destroy -f > "$E2E_TMP/t$t-destroy.log" 2>&1 || result="$result; destroy failed"
  left="$(leftovers "$LAB_ID")"
  [ "$left" = 0 ] || result="$result; $left libvirt object(s) left"
  [ ! -e .vmlab/state.json ] || result="$result; state.json left"
  TABLE+=("$(printf '%-3s %-18s %5ss %-8s %-9s %s' "$t" "$what" "$at" "$how" "$left" "$result")")
  e2e_log "trial $t: $what at ${at}s ($how): $result"
  [ "$result" = ok ] || FAILED=$((FAILED + 1))
  cd "$E2E_TMP"
done

e2e_log "two vmup at once in one project: one waits for the lock, then has nothing to do"
P="$(new_project both)"
cd "$P"
LAB_ID="$(vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])')"
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
ip netns exec "$E2E_NETNS" "$VMLAB" up > "$E2E_TMP/both1.log" 2>&1 & A=$!
sleep 1
ip netns exec "$E2E_NETNS" "$VMLAB" up > "$E2E_TMP/both2.log" 2>&1 & B=$!
RA=0; RB=0
wait $A || RA=$?
wait $B || RB=$?
result=ok
[ "$RA" = 0 ] && [ "$RB" = 0 ] || result="exit codes $RA and $RB"
grep -q "is working on this lab; waiting" "$E2E_TMP/both2.log" || result="$result; the second did not wait for the lock"
grep -q "nothing to do" "$E2E_TMP/both2.log" || result="$result; the second had something to do"
check_converged "" > /dev/null || result="$result; not converged"
vm destroy -f > /dev/null 2>&1 || result="$result; destroy failed"
left="$(leftovers "$LAB_ID")"
[ "$left" = 0 ] || result="$result; $left object(s) left"
TABLE+=("$(printf '%-3s %-18s %6s %-8s %-9s %s' "-" "two vmup at once" "-" "-" "$left" "$result")")
[ "$result" = ok ] || FAILED=$((FAILED + 1))

# ---- directed cases ------------------------------------------------------------------------
# wait_event LOG NODE EVENT [TIMEOUT=300]: waits until the JSON log has EVENT for NODE.
wait_event() {
  local end=$(( $(date +%s) + ${4:-300} ))
  until python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("node") == sys.argv[2] and e.get("event") == sys.argv[3]: sys.exit(0)
sys.exit(1)
EOF
  do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.5
  done
}
# The failure message of NODE in a JSON log (its "failed" event), on one line.
failure_of() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("node") == sys.argv[2] and e.get("event") in ("failed", "step-failed"):
        print(" ".join(e.get("message", "").split())); break
EOF
}
# directed NAME: the case's row in the table from $result, $left, $note.
directed_row() {
  TABLE+=("$(printf '%-3s %-18s %6s %-8s %-9s %s' "-" "$1" "-" "-" "$left" "$result${note:+ ($note)}")")
  e2e_log "$1: $result${note:+ ($note)}"
  [ "$result" = ok ] || [ "${result#skipped}" != "$result" ] || FAILED=$((FAILED + 1))
}
finish_case() {  # destroys the current project's lab and counts what is left of LAB_ID
  vm destroy -f > /dev/null 2>&1 || result="$result; destroy failed"
  left="$(leftovers "$LAB_ID")"
  [ "$left" = 0 ] || result="$result; $left object(s) left"
  [ ! -e .vmlab/state.json ] || result="$result; state.json left"
  cd "$E2E_TMP"
}
lab_id() { vm status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["lab_id"])'; }

e2e_log "libvirtd stopped and started again while vmup waits for SSH"
result=ok; note=""; left=-
if [ -z "$E2E_STARTED_LIBVIRTD" ]; then
  result="skipped: this test did not start the libvirtd it uses (it does not restart another's)"
else
  P="$(new_project lv)"; cd "$P"; LAB_ID="$(lab_id)"
  e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
  ip netns exec "$E2E_NETNS" "$VMLAB" up --json > "$E2E_TMP/lv-up.log" 2>&1 & UPPID=$!
  if ! wait_event "$E2E_TMP/lv-up.log" n1 waiting-ssh 300; then
    result="vmup never waited for SSH"
  else
    old="$(cat /run/libvirtd.pid)"
    kill -TERM "$old"
    for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$old" 2>/dev/null && result="libvirtd (pid $old) did not stop"
    sleep 3  # vmup keeps waiting without its daemon for a while
    # Started with no descriptor of ours beyond 0-2 (the daemon would keep flock's lock on
    # /tmp/vmlab-e2e.lock for ever), and recorded where scripts/libvirtd-netns.sh's stop (the
    # teardown) looks for the daemon it started.
    ip netns exec "$E2E_NETNS" bash -c 'for fd in /proc/self/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done; exec libvirtd -d' 2>/dev/null
    for _ in $(seq 1 100); do in_ns virsh -c qemu:///system version >/dev/null 2>&1 && break; sleep 0.3; done
    [ -f "/run/vmlab-libvirtd/$E2E_NETNS/libvirtd.pid" ] && cp /run/libvirtd.pid "/run/vmlab-libvirtd/$E2E_NETNS/libvirtd.pid"
    note="libvirtd $old -> $(cat /run/libvirtd.pid)"
  fi
  rc=0; wait "$UPPID" || rc=$?
  # The provider opens its libvirt connection again and retries reads (it once died of SIGPIPE,
  # exit 141, and then exited 1 on "virConnectListAllDomains: Cannot write data" after both
  # nodes were up). A node whose changing call (define, start) was in flight when the daemon
  # went fails with libvirt's message about the lost connection (exit 1); anything else is a bug.
  [ "$rc" -lt 128 ] || result="that vmup died of signal $((rc - 128)) (exit $rc)"
  if [ "$rc" != 0 ]; then
    why="$(tail -n 1 "$E2E_TMP/lv-up.log" | cut -c1-200)"
    if [ "$result" = ok ] && ! grep -qE "End of file|Cannot write data|Cannot recv data|Broken pipe|connection (closed|lost)" <<<"$why"; then
      result="that vmup failed for another reason than the lost connection (exit $rc): $why"
    fi
    note="$note; that vmup: exit $rc ($(grep -oE "vir[A-Za-z]+ [^:]*: (End of file|Cannot write data|Cannot recv data)[^\"]*" <<<"$why" | head -n1 | cut -c1-70))"
    vm up --json > "$E2E_TMP/lv-up2.log" 2>&1 || result="$result; the next vmup failed: $(tail -n 2 "$E2E_TMP/lv-up2.log" | tr '\n' ' ')"
  else
    note="$note; that vmup finished (exit 0)"
  fi
  [ "$result" = ok ] && { msg="$(check_converged "")" || result="not converged: $msg"; }
  finish_case
fi
directed_row "libvirtd restart"

e2e_log "the QEMU process of n1 killed while its step runs"
result=ok; note=""
P="$(new_project qemu 20)"; cd "$P"; LAB_ID="$(lab_id)"
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
ip netns exec "$E2E_NETNS" "$VMLAB" up --json > "$E2E_TMP/qemu-up.log" 2>&1 & UPPID=$!
if wait_event "$E2E_TMP/qemu-up.log" n1 step-start 300; then
  sleep 3
  qpid="$(cat "/run/libvirt/qemu/vmlab-$LAB_ID-n1.pid" 2>/dev/null || true)"
  if [ -n "$qpid" ] && [ "$(cat "/proc/$qpid/comm" 2>/dev/null)" = qemu-system-x86 ]; then
    kill -9 "$qpid"
  else
    result="no QEMU process for n1 (pid file /run/libvirt/qemu/vmlab-$LAB_ID-n1.pid)"
  fi
else
  result="n1's step never started"
fi
rc=0; wait "$UPPID" || rc=$?
why="$(failure_of "$E2E_TMP/qemu-up.log" n1)"
note="exit $rc: ${why:0:100}"
[ "$result" != ok ] || [ "$rc" = 1 ] || result="vmup exit $rc, not 1"
[ "$result" != ok ] || [ -n "$why" ] || result="no failure reported for n1"
if [ "$result" = ok ]; then
  if ! vm up --json > "$E2E_TMP/qemu-up2.log" 2>&1; then
    result="the next vmup failed: $(tail -n 2 "$E2E_TMP/qemu-up2.log" | tr '\n' ' ')"
  else
    grep -q '"node":"n1".*"event":"starting"\|"event":"starting".*"node":"n1"' "$E2E_TMP/qemu-up2.log" \
      || result="the next vmup did not start n1 again"
    msg="$(check_converged "$E2E_TMP/qemu-up.log")" || result="not converged: $msg"
  fi
fi
finish_case
directed_row "QEMU killed in step"

e2e_log "the guest's sshd killed while n1's step runs"
result=ok; note=""
P="$(new_project sshd 20)"; cd "$P"; LAB_ID="$(lab_id)"
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
ip netns exec "$E2E_NETNS" "$VMLAB" up --json > "$E2E_TMP/sshd-up.log" 2>&1 & UPPID=$!
if wait_event "$E2E_TMP/sshd-up.log" n1 step-start 300; then
  sleep 3
  # every dropbear of the guest: the listener (busybox init respawns it) and the session's
  vm ssh n1 -c 'kill -9 $(pidof dropbear)' > /dev/null 2>&1 || true
else
  result="n1's step never started"
fi
rc=0; wait "$UPPID" || rc=$?
why="$(failure_of "$E2E_TMP/sshd-up.log" n1)"
note="exit $rc: ${why:0:100}"
[ "$result" != ok ] || [ "$rc" = 1 ] || result="vmup exit $rc, not 1"
[ "$result" != ok ] || grep -qi "ssh" <<<"$why" || result="n1's failure does not name SSH: '$why'"
if [ "$result" = ok ]; then
  vm up --json > "$E2E_TMP/sshd-up2.log" 2>&1 || result="the next vmup failed: $(tail -n 2 "$E2E_TMP/sshd-up2.log" | tr '\n' ' ')"
  [ "$result" = ok ] && { msg="$(check_converged "$E2E_TMP/sshd-up.log")" || result="not converged: $msg"; }
fi
finish_case
directed_row "sshd killed in step"

e2e_log "two projects, one box, the same lab and node names, brought up at once"
result=ok; note=""
NET2="$(e2e_free_net $(( ${NET##*.} + 1 )))"
PA="$(new_project twinA)"; PB="$(new_project twinB 2 "$NET2")"
ID_A="$(cd "$PA" && lab_id)"; ID_B="$(cd "$PB" && lab_id)"
e2e_on_exit bash -c "cd '$PA' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
e2e_on_exit bash -c "cd '$PB' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
[ "$ID_A" != "$ID_B" ] || result="both projects got lab id $ID_A"
(cd "$PA" && ip netns exec "$E2E_NETNS" "$VMLAB" up > "$E2E_TMP/twinA.log" 2>&1) & A=$!
(cd "$PB" && ip netns exec "$E2E_NETNS" "$VMLAB" up > "$E2E_TMP/twinB.log" 2>&1) & B=$!
RA=0; RB=0
wait $A || RA=$?
wait $B || RB=$?
[ "$RA" = 0 ] && [ "$RB" = 0 ] || result="exit codes $RA and $RB: $(tail -n 3 "$E2E_TMP/twinA.log" "$E2E_TMP/twinB.log" | tr '\n' ' ')"
for d in "$PA" "$PB"; do
  (cd "$d" && check_converged "" > /dev/null) || result="$result; $(basename "$d") not converged"
done
note="lab ids $ID_A, $ID_B"
(cd "$PA" && vm destroy -f > /dev/null 2>&1) || result="$result; destroy A failed"
(cd "$PB" && vm destroy -f > /dev/null 2>&1) || result="$result; destroy B failed"
left=$(( $(leftovers "$ID_A") + $(leftovers "$ID_B") ))
[ "$left" = 0 ] || result="$result; $left object(s) left"
directed_row "two projects at once"

echo
echo "fault campaign, seed $SEED ($TRIALS trials):"
printf '%-3s %-18s %6s %-8s %-9s %s\n' "#" "fault" "at" "vmlab" "leftover" "result"
for row in "${TABLE[@]}"; do echo "$row"; done
[ "$FAILED" = 0 ] || e2e_fail "$FAILED case(s) failed (seed $SEED)"
e2e_log "PASS"
