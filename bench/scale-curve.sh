#!/usr/bin/env bash
# How `up` grows with the lab (issue 13 §3), on real guests: the vmlab-tiny box, 1, 3, 6 and 10
# nodes (BENCH_NODE_MEM each, default 160 MiB), each lab brought up from nothing twice: in
# parallel (the default) and one node at a time (`vmup n1 && vmup n2 ...`, the reference
# measured in the same run), then at every size `vmstatus` and a no-op `vmup`, each with the
# peak RSS of the vmlab process (GNU time). Writes the "scale-curve" section of
# bench/RESULTS.md.
#   usage (as root):  bench/scale-curve.sh [BUILD_DIR]   (default: $BUILD, else <repo>/build)
# Knobs: BENCH_SIZES (default "1 3 6 10"), BENCH_NODE_MEM, BENCH_RESULTS.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="${1:-${BUILD:-$REPO/build}}"
BUILD="$(cd "$BUILD" && pwd)"
SIZES="${BENCH_SIZES:-1 3 6 10}"
MEM="${BENCH_NODE_MEM:-160MiB}"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}"
. "$REPO/tests/e2e/lib.sh"
. "$BENCH_DIR/lib-results.sh"
bench_log() { echo "bench: [$(date +%T)] $*" >&2; }
[ -x /usr/bin/time ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >/dev/null
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
e2e_setup vmlab-e2e
# A box name of its own (see bench/run.sh: a concurrent e2e test removes "vmlab-tiny" volumes).
e2e_add_box bench-curve-tiny "$E2E_TINY_BOX"
NET="$(e2e_free_net 80)"
LOGS="$(mktemp -d /tmp/vmlab-bench-curve.XXXXXX)"
P="$E2E_TMP/project"
cd "$P"
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$VMLAB' destroy -f >/dev/null 2>&1"
vm() { in_ns "$VMLAB" "$@"; }

vmfile() {  # N
  cat <<EOF
name = "benchcurve"

[defaults]
box = "bench-curve-tiny"
memory = "$MEM"

[[network]]
name = "lab"
cidr = "$NET.0/24"

[[node]]
name = "n{i}"
count = $1
ip = "$NET.11"

  [[node.provision]]
  name = "hello"
  type = "shell"
  inline = "echo bench-hello-from-\$(hostname)"
EOF
}
# timed LOG CMD...: prints "wall_s rss_kib" of CMD run in the netns (GNU time on vmlab itself)
timed() {
  local log="$1" t0 t1 rc=0
  shift
  t0=$(date +%s%N)
  in_ns /usr/bin/time -f 'vmlab-rss-kib %M' "$@" > "$log" 2>&1 || rc=$?
  t1=$(date +%s%N)
  [ "$rc" = 0 ] || { tail -n 20 "$log" >&2; e2e_fail "'$*' failed (exit $rc; $log)"; }
  echo "$(awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 1e9 }') $(awk '/^vmlab-rss-kib/ {print $2}' "$log" | sort -n | tail -n1)"
}
seq_up() {  # N: one node at a time, each to SSH and provisioned
  local i
  for i in $(seq 1 "$1"); do "$VMLAB" up "n$i" || return 1; done
}
ROWS=""
for n in $SIZES; do
  vmfile "$n" > Vmfile
  read -r par par_rss <<<"$(timed "$LOGS/up-par-$n.log" "$VMLAB" up)"
  [ "$(grep -c 'bench-hello-from-' "$LOGS/up-par-$n.log")" -ge "$n" ] || e2e_fail "up of $n nodes did not run every step"
  read -r st st_rss <<<"$(timed "$LOGS/status-$n.log" "$VMLAB" status)"
  read -r noop noop_rss <<<"$(timed "$LOGS/noop-$n.log" "$VMLAB" up)"
  grep -q "nothing to do" "$LOGS/noop-$n.log" || e2e_fail "the second up of $n nodes did something"
  timed "$LOGS/destroy-p-$n.log" "$VMLAB" destroy -f >/dev/null
  export -f seq_up
  export VMLAB
  read -r sq _ <<<"$(timed "$LOGS/up-seq-$n.log" bash -c "seq_up $n")"
  timed "$LOGS/destroy-s-$n.log" "$VMLAB" destroy -f >/dev/null
  bench_log "$n node(s): parallel $par s (rss $par_rss KiB), one at a time $sq s, status $st s, no-op up $noop s"
  ROWS+="
| $n | $par | $sq | $(awk -v a="$sq" -v b="$par" 'BEGIN { printf "%.2f", a / b }') | $(awk -v a="$par" -v n="$n" 'BEGIN { printf "%.1f", a / n }') | $par_rss | $st ($st_rss KiB) | $noop ($noop_rss KiB) |"
done
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
SECTION="<!-- scale-curve -->
## How \`up\` grows with the lab (bench/scale-curve.sh, vmlab-tiny, one run, $(date -u +%Y-%m-%d))

Each size brought up from nothing in parallel (default) and one node at a time in the same
run; $MEM per node, one \`echo\` step each, QEMU TCG, $(nproc) cores; load average $LOAD_START at
the start, $LOAD_END at the end. RSS: peak resident memory of the vmlab process (GNU time).

| nodes | \`up\` parallel (s) | one at a time (s) | speed-up | parallel s per node | \`up\` RSS (KiB) | \`vmstatus\` s (RSS) | no-op \`up\` s (RSS) |
|---:|---:|---:|---:|---:|---:|---|---|$ROWS

Logs: $LOGS.
<!-- /scale-curve -->"
echo "$SECTION"
results_section scale-curve "$SECTION" "$RESULTS"
bench_log "wrote the scale-curve section of $RESULTS"
