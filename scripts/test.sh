#!/usr/bin/env bash
# The test command: installs what the tests need (apt), builds, and runs every tier through
# CTest: unit, component (libvirt test driver, a real sshd on 127.0.0.1, the VBoxManage
# simulator) and end-to-end (a libvirtd + QEMU/TCG inside a network namespace the tests make).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`; none = all but the `k8s` tier.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
rc=0
# Without arguments everything but the k8s tier (a real cluster: ~20 min, plus the bundle's
# ~25 min cold build on a fresh machine): `scripts/test.sh -L k8s`. The docker lab is in
# (16.5 min here: three guests install docker.io from Debian's archive).
[ $# -gt 0 ] || set -- -LE k8s
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure "$@" || rc=$?
# CTest lists skipped tests (exit 77) without their output: print each one's reason here.
LOG="${BUILD_DIR:-build}/Testing/Temporary/LastTest.log"
if [ -f "$LOG" ]; then
  awk '/^[0-9]+\/[0-9]+ Test: / { sub(/^[0-9]+\/[0-9]+ Test: /, ""); name = $0 }
       /^SKIP: / && !seen[name]++ { n++; lines = lines "  " name ": " substr($0, 7) "\n" }
       END { if (n) printf "\n%d test(s) skipped, did not run here:\n%s", n, lines }' "$LOG"
fi
exit "$rc"
