#!/usr/bin/env bash
# The docker provisioner's cost: one debian-12-cloud node (1 GiB) with one docker step
# (engine docker.io, daemon.json, import of the busybox base, build, one container).
#   usage (as root):  bench/docker.sh [BUILD_DIR]      (default: $BUILD, else <repo>/build)
# Measures, in one run: the docker step on a fresh node (the executor's "done in" time, and
# the whole `vmup`), a second `vmup` (nothing to do), and `vmprovision` (every part probed,
# nothing changed). Replaces the "docker provisioner" section of bench/RESULTS.md (between
# the <!-- docker-bench --> markers; bench/run.sh keeps it). Uses the e2e helpers: libvirtd
# in network namespace vmlab-e2e with an uplink to Debian's archive (skips without one).
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_DIR/.." && pwd)"
BUILD="$(cd "${1:-${BUILD:-$REPO/build}}" && pwd)"
RESULTS="${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}"
. "$REPO/tests/e2e/lib.sh"
export VMLAB_BOOT_TIMEOUT="${VMLAB_BOOT_TIMEOUT:-900}"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
e2e_setup_uplink vmlab-e2e
e2e_debian_box
e2e_busybox_rootfs
e2e_purge_lab benchdk
e2e_add_box debian-12-cloud "$E2E_DEBIAN_BOX"
P="$E2E_TMP/project"
cd "$P"
mkdir -p images && cp "$E2E_BUSYBOX_ROOTFS" images/rootfs.tar
cp -r "$REPO/tests/e2e/docker/web" web
NET="$(e2e_free_net 62)"
cat > Vmfile <<EOF
name = "benchdk"
[[network]]
name = "lab"
cidr = "$NET.0/24"
[[node]]
name = "d1"
box = "debian-12-cloud"
memory = "1GiB"
ip = "$NET.11"
  [[node.provision]]
  name = "docker"
  type = "docker"
  daemon = { "insecure-registries" = ["d1:5000"] }
  import = [{ image = "lab/base:1", rootfs = "images/rootfs.tar" }]
  build = [{ image = "lab/web:1", context = "web" }]
  run = [{ name = "web", image = "lab/web:1", args = ["--init", "-p", "8080:8080"] }]
EOF
vm() { in_ns "$BUILD/vmlab" "$@"; }
e2e_on_exit bash -c "cd '$P' && ip netns exec '$E2E_NETNS' '$BUILD/vmlab' destroy -f >/dev/null 2>&1"
ms() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

T=$(date +%s%N); vm up > up.log 2>&1 || { cat up.log; e2e_fail "vmup failed"; }; UP_MS=$(ms "$T")
STEP_S="$(sed -n 's/.*docker: done in \([0-9.]*\)s.*/\1/p' up.log | tail -n1)"
T=$(date +%s%N); vm up > up2.log 2>&1; UP2_MS=$(ms "$T")
grep -q "nothing to do" up2.log || { cat up2.log; e2e_fail "second vmup did something"; }
T=$(date +%s%N); vm provision > prov.log 2>&1 || { cat prov.log; e2e_fail "vmprovision failed"; }
PROV_MS=$(ms "$T")
PROV_STEP_S="$(sed -n 's/.*docker: done in \([0-9.]*\)s.*/\1/p' prov.log | tail -n1)"
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"

SECTION="$(cat <<EOF
<!-- docker-bench -->
## docker provisioner (bench/docker.sh)

One run, $(date -u '+%Y-%m-%d %H:%M UTC'); load average $LOAD_START at the start, $LOAD_END at the end
(2 cores, QEMU TCG). One debian-12-cloud node, 1 GiB; one docker step: docker.io from
Debian's archive through the namespace's uplink, daemon.json, import of the 2.1 MB busybox
base, build of tests/e2e/docker/web, one container.

| operation | time |
|---|---:|
| docker step on a fresh node (the executor's "done in") | ${STEP_S:-?} s |
| whole first \`vmup\` (boot, cloud-init, the step) | $((UP_MS / 1000)) s |
| second \`vmup\` (nothing to do: the step is not run) | ${UP2_MS} ms |
| \`vmprovision\`: every part probed, nothing changed (step / whole command) | ${PROV_STEP_S:-?} s / $((PROV_MS / 1000)) s |
<!-- /docker-bench -->
EOF
)"
echo "$SECTION"
python3 - "$RESULTS" "$SECTION" <<'EOF'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r"<!-- docker-bench -->.*?<!-- /docker-bench -->", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
EOF
