#!/usr/bin/env bash
# The one command: makes images/rootfs.tar from the host's busybox-static, then `vmup`.
#   usage (as root, in a network namespace whose libvirtd reaches Debian's archive):
#     examples/docker/run.sh [VMLAB]          (default: vmlab in PATH, else build/vmlab)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
VMLAB="${1:-$(command -v vmlab || echo "$REPO/build/vmlab")}"
"$REPO/tests/e2e/docker/make-busybox-rootfs.sh" "$HERE/images/rootfs.tar" >/dev/null
cd "$HERE"
"$VMLAB" box list | grep -q '^debian-12-cloud\b' \
  || "$VMLAB" box add debian-12-cloud "$("$REPO/boxes/build-debian-box.sh" | tail -n1)"
"$VMLAB" up
"$VMLAB" ssh node2 -c "python3 -c 'import urllib.request;print(urllib.request.urlopen(\"http://node1:8080/\").read().decode())'"
