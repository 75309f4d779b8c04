#!/usr/bin/env bash
# Time from `vmup` to every node Ready for a kubernetes lab, by phase: boot (SSH ready with the
# host key verified), node preparation, kubeadm init (control plane), join + Ready (workers).
# The reference, measured in the same run, is the plain boot of the same box (the boot phase of
# those very nodes): the table gives each phase and the whole `vmup` as a ratio to it.
#   usage (as root):  bench/k8s.sh [BUILD_DIR]          one control plane + K8S_WORKERS (1)
#                     bench/k8s.sh --from-log FILE      the same table from a saved vmup log
#                                                       (e.g. the output of the k8s e2e test)
# Replaces the "kubernetes provisioner" section of bench/RESULTS.md (between the
# <!-- k8s-bench --> markers). Needs the bundle and the debian-12-k8s box (built on first use,
# as the e2e test does); libvirtd in network namespace vmlab-e2e (the e2e helpers).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}"

# table LOG TOTAL_S SOURCE: the markdown section from the executor's lines in LOG.
table() {
  local log="$1" total="$2" source="$3"
  python3 - "$log" "$total" "$source" <<'PY'
import re, sys
log, total, source = sys.argv[1], float(sys.argv[2]), sys.argv[3]
boot, prep, init, join, step, ready = {}, {}, {}, {}, {}, {}
for line in open(log, errors="replace"):
    m = re.match(r"^(\S+)\s+\| (.*)$", line.rstrip("\n"))
    if not m:
        continue
    node, text = m.groups()
    if r := re.match(r"ready \(SSH, host key verified\) in ([0-9.]+)s", text): boot[node] = float(r[1])
    if r := re.match(r"kubernetes: node preparation took ([0-9]+) s", text): prep[node] = float(r[1])
    if r := re.match(r"kubernetes: control plane ready after ([0-9]+) s", text): init[node] = float(r[1])
    if r := re.match(r"kubernetes: \S+ Ready, ([0-9]+) s after the join started", text): join[node] = float(r[1])
    if r := re.match(r"kubernetes: done in ([0-9.]+)s", text): step[node] = float(r[1])
if not boot or not step:
    sys.exit("bench/k8s.sh: no boot or kubernetes step lines in " + log)
ref = max(boot.values())
planes = sorted(init)
workers = sorted(n for n in step if n not in init)
def row(what, secs):
    return f"| {what} | {secs:.0f} s | {secs / ref:.2f} |"
out = ["<!-- k8s-bench -->",
       f"## kubernetes provisioner (1 control plane + {len(workers)} worker(s), debian-12-k8s box, QEMU TCG)",
       "", f"Source: {source}. Reference: the plain boot of the same nodes in the same run "
       f"(slowest node to SSH ready, host key verified: {ref:.0f} s).", "",
       "| phase | time | ratio to the plain boot |", "|---|---|---|"]
for n in sorted(boot):
    out.append(row(f"boot of {n} (SSH ready)", boot[n]))
for n in planes:
    out.append(row(f"{n}: node preparation (modules, sysctls, docker cgroup driver, images)", prep.get(n, 0)))
    out.append(row(f"{n}: kubeadm init to /readyz ok", init[n]))
    out.append(row(f"{n}: whole kubernetes step (+ kubeconfig fetch, pod routes, re-probe)", step[n]))
for n in workers:
    out.append(row(f"{n}: node preparation", prep.get(n, 0)))
    out.append(row(f"{n}: join to Node Ready (fresh token from the plane)", join.get(n, 0)))
    out.append(row(f"{n}: whole kubernetes step", step[n]))
if total > 0:
    out.append(row("whole first `vmup`, to every node Ready", total))
out += ["", "Workers wait for the control plane's step (the derived edge), so the whole `vmup` is",
        "about boot + the plane's step + one worker's step.", "<!-- /k8s-bench -->"]
print("\n".join(out))
PY
}

# replace SECTION: writes SECTION into RESULTS between the markers (appends it the first time).
replace() {
  python3 - "$RESULTS" "$1" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read() if __import__("os").path.exists(path) else "# Benchmark results\n"
pat = re.compile(r"<!-- k8s-bench -->.*?<!-- /k8s-bench -->", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
}

if [ "${1:-}" = "--from-log" ]; then
  LOG="${2:?usage: bench/k8s.sh --from-log FILE}"
  TOTAL="$(sed -n 's/.*TIME first vmup[^:]*: \([0-9]*\) s.*/\1/p' "$LOG" | tail -n1)"
  SECTION="$(table "$LOG" "${TOTAL:-0}" "a saved vmup log ($(basename "$LOG"), load at its end: $(cut -d' ' -f1-3 /proc/loadavg))")"
  echo "$SECTION"
  replace "$SECTION"
  exit 0
fi

BUILD="$(cd "${1:-${BUILD:-$REPO/build}}" && pwd)"
. "$REPO/tests/e2e/lib.sh"
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"
WORKERS="${K8S_WORKERS:-1}"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
e2e_setup vmlab-e2e
"$REPO/bundles/kubernetes/build-bundle.sh" >/dev/null || e2e_fail "bundles/kubernetes/build-bundle.sh failed"
K8S_BOX="$("$REPO/boxes/build-k8s-box.sh" | tail -n1)" || e2e_fail "boxes/build-k8s-box.sh failed"
e2e_purge_lab benchk8s
e2e_add_box debian-12-k8s "$K8S_BOX"
P="$E2E_TMP/project"
cd "$P"
NET="$(e2e_free_net 63)"
cat > Vmfile <<EOF
name = "benchk8s"
[defaults]
box = "debian-12-k8s"
memory = "1.5GiB"
[[network]]
name = "lab"
cidr = "$NET.0/24"
[[node]]
name = "m"
cpus = 2
memory = "2.5GiB"
ip = "$NET.10"
  [[node.provision]]
  name = "kubernetes"
  type = "kubernetes"
  role = "control-plane"
  pod_cidr = "10.244.0.0/16"
[[node]]
name = "w{i}"
count = $WORKERS
ip = "$NET.101"
  [[node.provision]]
  name = "kubernetes"
  type = "kubernetes"
  role = "worker"
EOF
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$BUILD/vmlab' destroy -f >/dev/null 2>&1"
T=$(date +%s)
in_ns "$BUILD/vmlab" up > up.log 2>&1 || { cat up.log; e2e_fail "vmup failed"; }
TOTAL=$(( $(date +%s) - T ))
SECTION="$(table up.log "$TOTAL" "bench/k8s.sh, $(date -u +%F), load $LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end")"
echo "$SECTION"
replace "$SECTION"
