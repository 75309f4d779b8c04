#!/usr/bin/env bash
# e2e: the example lab (Vmfile.example: m-k8s + w1..w3-k8s) through vmlab's whole lifecycle
# with `--provider virtualbox`, run against the VBoxManage SIMULATOR (tests/vboxmanage-sim,
# written from the VirtualBox manual) -- NOT against VirtualBox, which cannot be installed here.
# The simulator's "guests" are real OpenSSH sshd processes on this host, one per started VM,
# listening on the VM's 127.0.0.1 SSH forward with the host key vmlab put in the VM's
# cloud-init seed (tests/vboxmanage-sim/README.md). So vmlab's SSH readiness wait, host-key
# pinning and `vmlab ssh -c` run for real -- and a command "in the guest" runs ON THIS HOST as
# the box's user (root here). Hence:
#   - `up --no-provision` only: the example lab's kubernetes steps need real guests, and
#     its shell step (scripts/lab/config.sh: swapoff, modprobe, sysctl) would change THIS
#     host. The copied project gets a harmless stub in its place, in case a regression ever
#     runs steps anyway.
#   - only harmless commands (`echo ok`) go through `vmlab ssh -c`.
# Checks: parallel clones, 4 running nodes on distinct 127.0.0.1 ports, `vmlab ssh` with the
# pinned host key, a fast `status`, an idempotent second `up`, a VM unregistered behind vmlab's
# back recreated, `halt`, `destroy` leaving no lab VM and no guest sshd; the same Vmfile
# validates and expands with --provider libvirt too.
# No libvirtd is needed (no e2e_setup). Argument 1: the build dir (CTest passes it).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SIMTAG="VirtualBox provider vs the VBoxManage simulator (not VirtualBox)"
say() { echo "e2e [$(date +%T)] $SIMTAG: $*"; }
fail() { e2e_fail "$SIMTAG: $*"; }

[ -n "$BUILD" ] && [ -x "$VMLAB" ] || fail "no vmlab binary at '$VMLAB' (pass the build dir as argument 1)"
SIM="$E2E_SOURCE_DIR/tests/vboxmanage-sim/VBoxManage"
[ -x /usr/bin/python3 ] || e2e_skip "$SIMTAG: /usr/bin/python3 is missing (the simulator's interpreter)"
[ -x /usr/sbin/sshd ] || e2e_skip "$SIMTAG: /usr/sbin/sshd is missing (the simulated guests' SSH server; apt-get install openssh-server)"
for t in qemu-img xorriso timeout; do
  command -v "$t" >/dev/null || e2e_skip "$SIMTAG: $t is not installed (scripts/install-deps.sh)"
done
# The example lab forwards host port 6443 (kubectl) on 127.0.0.1: it must be free.
/usr/bin/python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 6443))' 2>/dev/null \
  || e2e_skip "$SIMTAG: 127.0.0.1:6443 is in use on this host (the example lab forwards it)"

TMP="$(mktemp -d /tmp/vmlab-vboxsim-e2e.XXXXXX)"
GUEST_PIDS="$TMP/guest-pids"  # every guest sshd PID the simulator ever recorded (one a line)
: >"$GUEST_PIDS"

# guest_alive PID: the PID runs (not a zombie) one of THIS test's guest sshds.
guest_alive() {
  local st
  st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [ -n "$st" ] && [ "$st" != Z ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$TMP/"
}
# Records the guest PIDs the simulator's state file holds right now.
note_guest_pids() {
  /usr/bin/python3 - "$VBOXSIM_STATE" >>"$GUEST_PIDS" <<'EOF' || true
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
for v in d.get("vms", {}).values():
    if v.get("guest"):
        print(v["guest"]["pid"])
EOF
  local f
  for f in "$TMP"/sim/machines/*/guest/sshd.pid; do [ -r "$f" ] && cat "$f" >>"$GUEST_PIDS"; done
  return 0
}
alive_guests() {
  local p out=""
  for p in $(sort -un "$GUEST_PIDS"); do guest_alive "$p" && out+="$p "; done
  echo "$out"
}
cleanup() {
  local rc=$? p
  set +e
  note_guest_pids
  for p in $(sort -un "$GUEST_PIDS"); do  # only our own guests, by PID
    if guest_alive "$p"; then
      echo "e2e: cleanup: stopping guest sshd $p (VBoxManage simulator)" >&2
      kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null
      sleep 0.3
      guest_alive "$p" && kill -KILL "$p" 2>/dev/null
    fi
  done
  if [ -n "${E2E_KEEP:-}" ]; then echo "e2e: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export VMLAB_HOME="$TMP/home"
export VBOXSIM_STATE="$TMP/sim/state.json"
export VBOXSIM_LOG="$TMP/sim-calls.log"
export VMLAB_VBOXMANAGE="$SIM"
export VMLAB_BOOT_TIMEOUT=60
# The simulator's "guests" are sshds on this host: their interfaces are the host's, so the
# check that every lab NIC carries its address after boot (VMLAB_ADDRESS_WAIT) is off here.
export VMLAB_ADDRESS_WAIT=0
unset VMLAB_PROVIDER VBOXSIM_IGNORE_ACPI VBOXSIM_LOCK_BUSY VBOXSIM_GUESTS VBOXSIM_SSHD \
  VMLAB_VBOX_HOSTONLYNET VMLAB_VBOX_NETWORKS_CONF VMLAB_PARALLEL || true
mkdir -p "$VMLAB_HOME" "$TMP/project/scripts/lab" "$TMP/box"

# vm ARGS...: runs `vmlab ARGS` (at most 240 s) in the project, its output prefixed with the
# simulator tag; sets OUT (output) and RC (exit code).
vm() {
  local t0=$EPOCHREALTIME
  set +e
  OUT="$(cd "$TMP/project" && timeout 240 "$VMLAB" "$@" 2>&1)"
  RC=$?
  set -e
  ELAPSED="$(/usr/bin/python3 -c "print(f'{$EPOCHREALTIME - $t0:.2f}')")"
  say "\$ vmlab $* -> exit $RC in ${ELAPSED}s"
  [ -z "$OUT" ] || sed "s/^/    [VBoxManage simulator run] /" <<<"$OUT"
}
vbox() { vm --provider virtualbox "$@"; }

# status_field NODE FIELD: from `vmlab --provider virtualbox status --json`.
status_json() { vbox status --json >/dev/null; [ "$RC" = 0 ] || fail "status --json failed: $OUT"; STATUS="$OUT"; }
status_field() {
  /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1])
print(next(n[sys.argv[3]] for n in d["nodes"] if n["name"] == sys.argv[2]))' "$STATUS" "$1" "$2"
}

# --- a fake box "debian-12" (the simulator boots nothing; its guests are host sshds) ---
qemu-img create -q -f qcow2 "$TMP/box/box.qcow2" 64M
echo '{"format":"qcow2","user":"root","seed":"cloud-init"}' >"$TMP/box/box.json"
vm box add debian-12 "$TMP/box"
[ "$RC" = 0 ] || fail "vmlab box add failed"

# --- the project: Vmfile.example as Vmfile, its script replaced by a harmless stub ---
cp "$E2E_SOURCE_DIR/Vmfile.example" "$TMP/project/Vmfile"
grep -q 'path = "scripts/lab/config.sh"' "$TMP/project/Vmfile" \
  || fail "Vmfile.example no longer references scripts/lab/config.sh: update this test"
printf '#!/bin/sh\n# stub: the real config.sh would change the HOST through a simulated guest\necho stub\n' \
  >"$TMP/project/scripts/lab/config.sh"

# --- the same Vmfile on both providers ---
vm --provider libvirt validate
[ "$RC" = 0 ] || fail "validate --provider libvirt failed"
vbox validate
[ "$RC" = 0 ] || fail "validate --provider virtualbox failed"
vm --provider libvirt config --json >/dev/null
[ "$RC" = 0 ] || fail "config --json --provider libvirt failed"
CFG_LIBVIRT="$OUT"
vbox config --json >/dev/null
[ "$RC" = 0 ] || fail "config --json --provider virtualbox failed"
CFG_VBOX="$OUT"
/usr/bin/python3 - "$CFG_LIBVIRT" "$CFG_VBOX" <<'EOF' || fail "config --json differs between providers beyond the provider name"
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
assert a.get("provider") == "libvirt" and b.get("provider") == "virtualbox", (a.get("provider"), b.get("provider"))
a.pop("provider"); b.pop("provider")
assert a == b
EOF
say "the same Vmfile validates and expands identically with --provider libvirt and virtualbox"

# --- up: 4 nodes created in parallel, started, SSH ready with the pinned host key ---
vbox up --no-provision
note_guest_pids
[ "$RC" = 0 ] || fail "up --no-provision failed"
UP_TIME=$ELAPSED
status_json
LAB_ID="$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lab_id"])' "$STATUS")"
[ -n "$LAB_ID" ] || fail "no lab_id in status --json"
PORTS=""
for n in m-k8s w1-k8s w2-k8s w3-k8s; do
  assert_eq running "$(status_field "$n" state)" "$SIMTAG: state of $n after up"
  ssh_ep="$(status_field "$n" ssh)"
  assert_contains "$ssh_ep" "127.0.0.1:" "$SIMTAG: SSH endpoint of $n"
  PORTS+="${ssh_ep#127.0.0.1:} "
done
assert_eq 4 "$(tr ' ' '\n' <<<"$PORTS" | grep -c . | tr -d ' ')" "$SIMTAG: SSH ports"
assert_eq 4 "$(tr ' ' '\n' <<<"$PORTS" | grep . | sort -u | wc -l | tr -d ' ')" "$SIMTAG: distinct SSH ports ($PORTS)"
assert_eq 4 "$(wc -w <<<"$(alive_guests)" | tr -d ' ')" "$SIMTAG: guest sshds alive after up"
if command -v ss >/dev/null; then  # the guests listen on 127.0.0.1 only, like the NAT forward
  for p in $PORTS; do
    assert_eq "127.0.0.1:$p" "$(ss -Hltn "sport = :$p" | awk '{print $4}' | sort -u | tr '\n' ' ' | sed 's/ $//')" \
      "$SIMTAG: listening sockets on port $p"
  done
fi
say "lab $LAB_ID up in ${UP_TIME}s: 4 nodes running, SSH on 127.0.0.1 ports $PORTS"

# The clonevm calls overlapped (the simulator logs START/END of every call with its pid).
read -r CLONES CONC < <(/usr/bin/python3 - "$VBOXSIM_LOG" <<'EOF'
import sys
start, events = {}, []
for line in open(sys.argv[1]):
    t, pid, kind, rest = line.split(" ", 3)
    if kind == "START" and rest.startswith("clonevm "):
        start[pid] = float(t)
    elif kind == "END" and rest.split()[-1] == "clonevm" and pid in start:
        events += [(start.pop(pid), 1), (float(t), -1)]
cur = peak = 0
for _, d in sorted(events, key=lambda e: (e[0], e[1])):
    cur += d
    peak = max(peak, cur)
print(len(events) // 2, peak)
EOF
)
assert_eq 4 "$CLONES" "$SIMTAG: clonevm calls"
[ "$CONC" -ge 2 ] || fail "the clonevm calls did not overlap (at most $CONC at a time)"
say "clonevm calls ran in parallel: up to $CONC at the same time (simulator call log)"

# vmlab ssh: libssh2 with the lab key and the pinned host key, into the simulated guest.
vbox ssh m-k8s -c 'echo ok'
[ "$RC" = 0 ] || fail "vmlab ssh m-k8s -c 'echo ok' failed"
assert_eq ok "$OUT" "$SIMTAG: vmlab ssh m-k8s -c 'echo ok'"
say "vmlab ssh m-k8s -c 'echo ok' printed ok (host key verified)"

vbox status
[ "$RC" = 0 ] || fail "status failed"
STATUS_TIME=$ELAPSED
/usr/bin/python3 -c "import sys; sys.exit(0 if $STATUS_TIME < 10 else 1)" \
  || fail "vmlab status took ${STATUS_TIME}s"
say "vmlab status answered in ${STATUS_TIME}s"

# --- a second up changes nothing ---
CLONES_BEFORE="$(grep -c ' START clonevm ' "$VBOXSIM_LOG")"
vbox up --no-provision
[ "$RC" = 0 ] || fail "second up failed"
assert_contains "$OUT" "nothing to do" "$SIMTAG: second up"
assert_eq "$CLONES_BEFORE" "$(grep -c ' START clonevm ' "$VBOXSIM_LOG")" "$SIMTAG: clonevm calls after the second up"
say "a second up is a no-op (nothing to do)"

# --- a VM removed behind vmlab's back: "not created", then recreated by up ---
W2="vmlab-$LAB_ID-w2-k8s"
W2_PID="$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vms"][sys.argv[2]]["guest"]["pid"])' "$VBOXSIM_STATE" "$W2")"
"$SIM" controlvm "$W2" poweroff 2>/dev/null || fail "simulator: controlvm $W2 poweroff failed"
guest_alive "$W2_PID" && fail "the guest sshd $W2_PID of $W2 survived controlvm poweroff"
"$SIM" unregistervm "$W2" --delete || fail "simulator: unregistervm $W2 --delete failed"
status_json
assert_eq "not created" "$(status_field w2-k8s state)" "$SIMTAG: w2-k8s after unregistervm"
assert_eq running "$(status_field w1-k8s state)" "$SIMTAG: w1-k8s after w2's unregistervm"
say "$W2 unregistered behind vmlab's back shows as not created"
vbox up --no-provision
note_guest_pids
[ "$RC" = 0 ] || fail "up after unregistervm failed"
status_json
for n in m-k8s w1-k8s w2-k8s w3-k8s; do
  assert_eq running "$(status_field "$n" state)" "$SIMTAG: state of $n after the re-up"
done
assert_eq $((CLONES_BEFORE + 1)) "$(grep -c ' START clonevm ' "$VBOXSIM_LOG")" "$SIMTAG: clonevm calls after the re-up"
vbox ssh w2-k8s -c 'echo ok'
assert_eq ok "$OUT" "$SIMTAG: vmlab ssh w2-k8s -c 'echo ok' after the re-up"
say "up recreated w2-k8s only (one more clonevm) and it answers SSH"

# --- halt stops every node (and with them the guest sshds) ---
vbox halt
[ "$RC" = 0 ] || fail "halt failed"
status_json
for n in m-k8s w1-k8s w2-k8s w3-k8s; do
  assert_eq stopped "$(status_field "$n" state)" "$SIMTAG: state of $n after halt"
done
[ -z "$(alive_guests)" ] || fail "guest sshds still alive after halt: $(alive_guests)"
say "halt stopped all 4 nodes; no guest sshd left"

# --- destroy removes every lab VM ---
vbox destroy -f
[ "$RC" = 0 ] || fail "destroy -f failed"
LEFT="$("$SIM" list vms | grep -F "\"vmlab-$LAB_ID-" || true)"
[ -z "$LEFT" ] || fail "VMs of lab $LAB_ID left after destroy: $LEFT"
[ -z "$(alive_guests)" ] || fail "guest sshds alive after destroy: $(alive_guests)"
status_json
for n in m-k8s w1-k8s w2-k8s w3-k8s; do
  assert_eq "not created" "$(status_field "$n" state)" "$SIMTAG: state of $n after destroy"
done
say "destroy -f left no vmlab-$LAB_ID- VM in 'VBoxManage list vms' and no guest sshd ($(sort -un "$GUEST_PIDS" | wc -l | tr -d ' ') recorded PIDs checked)"
say "PASS"
