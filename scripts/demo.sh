#!/usr/bin/env bash
# The main job: on a fresh Debian machine, installs what vmlab needs, builds it, builds (once,
# cached) the project's test box, and brings up the quickstart lab (examples/quickstart), then
# shows `vmstatus`, a command on a node and `vmlab exec all`. Idempotent: run it again and the
# lab is already up. `scripts/demo.sh --destroy` removes the lab and what the script started.
#
# `scripts/demo.sh k8s`: the book's Kubernetes lab instead (examples/k8s-lab: m-k8s + three
# workers, kubeadm v1.20.2 from the offline bundle), then `kubectl get nodes -o wide` on the
# host with the fetched kubeconfig. Builds the bundle and the debian-12-k8s box once (cached in
# /var/cache/vmlab; 11-25 min cold); the lab itself took 13 min under QEMU TCG on 2 cores here.
# `scripts/demo.sh k8s --destroy` removes it.
#
# Where a libvirtd already runs (in this network namespace), vmlab uses it. Otherwise the
# script starts one inside its own network namespace (scripts/libvirtd-netns.sh) and runs the
# lab there, so it never touches the host's networks.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
NETNS="${VMLAB_DEMO_NETNS:-vmlab-demo}"
LAB=quickstart
if [ "${1:-}" = k8s ]; then LAB=k8s-lab; shift; fi
LAB_DIR="$ROOT/examples/$LAB"
export VMLAB_HOME="${VMLAB_HOME:-/var/lib/vmlab}"
export VMLAB_CACHE="${VMLAB_CACHE:-/var/cache/vmlab}"
say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "demo: run as root (it installs packages and starts libvirtd)" >&2; exit 2; }
BUILD="${BUILD_DIR:-build}"  # as scripts/build.sh: relative to the checkout
[[ "$BUILD" = /* ]] || BUILD="$ROOT/$BUILD"
# --destroy with vmlab already built needs neither packages nor a (possibly failing) rebuild.
if [ "${1:-}" != "--destroy" ] || [ ! -x "$BUILD/vmlab" ]; then
  "$ROOT/scripts/install-deps.sh"
  say "building vmlab"
  "$ROOT/scripts/build.sh"
fi
export PATH="$BUILD:$PATH"

# Which libvirtd: one already running (then vmlab runs in the network namespace it runs in,
# where its networks are), else our own inside $NETNS.
libvirtd_netns() {  # prints "" (root namespace) or the /run/netns name libvirtd runs in
  local pid id n
  pid="$(cat /run/libvirtd.pid 2>/dev/null)" || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ] || return 1
  id="$(stat -Lc %d:%i "/proc/$pid/ns/net")"
  for n in /run/netns/*; do
    [ -e "$n" ] && [ "$(stat -Lc %d:%i "$n")" = "$id" ] && { basename "$n"; return 0; }
  done
  echo ""
}
IN=()
STARTED_NETNS=""
if RUNNING_NS="$(libvirtd_netns)"; then
  if [ -n "$RUNNING_NS" ]; then
    say "using the libvirtd that already runs in network namespace $RUNNING_NS"
    IN=(ip netns exec "$RUNNING_NS")
  else
    say "using the libvirtd that already runs"
  fi
else
  say "starting libvirtd inside network namespace $NETNS"
  "$ROOT/scripts/libvirtd-netns.sh" start "$NETNS"
  IN=(ip netns exec "$NETNS")
  STARTED_NETNS="$NETNS"
fi

if [ "${1:-}" = "--destroy" ]; then
  say "destroying the $LAB lab"
  (cd "$LAB_DIR" && "${IN[@]}" vmdestroy -f)
  other=quickstart; [ "$LAB" = quickstart ] && other=k8s-lab
  # Stops libvirtd only if it runs in the demo's own namespace (started by this script) and the
  # other demo lab is not up in it.
  if { [ "${RUNNING_NS:-}" = "$NETNS" ] || [ -n "$STARTED_NETNS" ]; } \
     && ! (cd "$ROOT/examples/$other" && [ -e .vmlab/state.json ]); then
    "$ROOT/scripts/libvirtd-netns.sh" stop "$NETNS"
  fi
  exit 0
fi

if [ "$LAB" = k8s-lab ]; then
  say "the Kubernetes v1.20.2 bundle, from Debian's source package (cached; ~25 min cold)"
  "$ROOT/bundles/kubernetes/build-bundle.sh" | tail -n 3
  say "the debian-12-k8s box: node packages, kubeadm, kubelet and images inside (cached)"
  K8S_BOX="$("$ROOT/boxes/build-k8s-box.sh" | tail -n 1)"
  vmlab box list | grep -q '^debian-12-k8s\b' || vmlab box add debian-12-k8s "$K8S_BOX"
  cd "$LAB_DIR"
  say "vmlab validate"
  vmlab validate
  say "vmup: m-k8s (kubeadm init), then w1-k8s..w3-k8s join it (13 min here under TCG)"
  time "${IN[@]}" vmup
  KC="$(vmlab kubeconfig)"
  say "kubectl get nodes -o wide (on the host, with $KC)"
  "${IN[@]}" kubectl --kubeconfig "$KC" get nodes -o wide
  say "kubectl get pods -A -o wide"
  "${IN[@]}" kubectl --kubeconfig "$KC" get pods -A -o wide
  say "vmstatus"
  "${IN[@]}" vmstatus
  say "vmup again (a no-op)"
  time "${IN[@]}" vmup
  say "done: the lab is up. In $LAB_DIR: '${IN[*]:+${IN[*]} }kubectl --kubeconfig $KC get nodes'; '$0 k8s --destroy' removes it"
  exit 0
fi

say "building the test box (cached)"
BOX_DIR="$("$ROOT/boxes/build-tiny-box.sh" | tail -1)"
vmlab box list | grep -q '^vmlab-tiny\b' || vmlab box add vmlab-tiny "$BOX_DIR"

cd "$LAB_DIR"
say "vmlab validate"
vmlab validate
say "vmup (first time: creates, boots and provisions both nodes in parallel)"
"${IN[@]}" vmup
say "vmstatus"
time "${IN[@]}" vmstatus
say "vmssh node1 -c ..."
"${IN[@]}" vmssh node1 -c 'hostname; ip -4 -o addr show | grep -v " lo "; cat /etc/hosts; ping -c1 -W2 node2'
say "vmlab exec all -- hostname"
"${IN[@]}" vmlab exec all -- hostname
say "vmup again (a no-op)"
time "${IN[@]}" vmup
say "done: the lab is up. In $LAB_DIR: '${IN[*]:+${IN[*]} }vmssh node1' for a shell; '$0 --destroy' removes it"
