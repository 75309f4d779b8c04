#!/usr/bin/env bash
# The test command: installs what the tests need (apt), builds, and runs every tier through
# CTest: unit, component (libvirt test driver, a real sshd on 127.0.0.1, the VBoxManage
# simulator) and end-to-end (a libvirtd + QEMU/TCG inside a network namespace the tests make).
# Extra arguments go to ctest, e.g. `scripts/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure "$@"
