#!/usr/bin/env bash
# Boots one VM of the debian-12-k8s box under plain QEMU (TCG; loopback only: user-mode NIC
# with restrict=on) with a seed from make-seed.sh and checks what the box adds over
# debian-12-cloud: docker runs, the preinstalled image tarballs import (images/import.sh),
# the images run (kube-proxy's iptables, etcd, pause), and `kubeadm init phase preflight`
# passes (kernel config in /boot, images present, the node packages).
#   usage: boxes/k8s-smoke-test.sh [BOXDIR]      (default: the cached debian-12-k8s)
#   env: MEM (MiB, 2560), CPUS (2), KEEP=1 keeps the work dir (console log)
# Prints each step's time; exit 0 only if every check passed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BOX="$(cd "${1:-${VMLAB_CACHE:-/var/cache/vmlab}/boxes/debian-12-k8s}" && pwd)"
MEM="${MEM:-2560}" CPUS="${CPUS:-2}"
W="$(mktemp -d /tmp/vmlab-k8s-smoke.XXXXXX)"
j() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$BOX/box.json"; }
user="$(j user)"
fails=0 T0=""
pass() { echo "PASS: [$(elapsed)] $*"; }
fail() { echo "FAIL: [$(elapsed)] $*"; fails=$((fails + 1)); }
elapsed() { echo "$(( $(date +%s) - T0 )) s"; }
cleanup() {
  [ -f "$W/vm.pid" ] && kill "$(cat "$W/vm.pid")" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"

ssh-keygen -q -t ed25519 -N '' -C vmlab-smoke -f "$W/id"
ssh-keygen -q -t ed25519 -N '' -C k8s1 -f "$W/host"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$W/host.pub")" >"$W/known"
"$HERE/make-seed.sh" "$W/seed.iso" k8s1 "$user" "$W/id.pub" "$W/host" "52:54:00:77:00:01 dhcp"
qemu-img create -q -f qcow2 -F qcow2 -b "$BOX/box.qcow2" "$W/disk.qcow2"
T0=$(date +%s)
qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp "$CPUS" -m "$MEM" -display none -no-user-config \
  -kernel "$BOX/$(j kernel)" -initrd "$BOX/$(j initrd)" -append "$(j cmdline)" \
  -drive "file=$W/disk.qcow2,if=virtio,cache=unsafe" -drive "file=$W/seed.iso,media=cdrom" \
  -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$port-:22" -device "virtio-net-pci,netdev=n0,mac=52:54:00:77:00:01" \
  -device virtio-rng-pci -serial "file:$W/console.log" -pidfile "$W/vm.pid" -daemonize
vssh() { ssh -q -o BatchMode=yes -o ConnectTimeout=5 -o ServerAliveInterval=15 -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$W/known" -o GlobalKnownHostsFile=/dev/null -i "$W/id" -p "$port" "$user@127.0.0.1" "$@"; }

ok=""
for _ in $(seq 1 600); do vssh true 2>/dev/null && { ok=1; break; }; sleep 1; done
[ -n "$ok" ] || { fail "no ssh; console:"; tail -n 30 "$W/console.log"; exit 1; }
pass "ssh as $user"
for _ in $(seq 1 60); do vssh cloud-init status --wait >/dev/null 2>&1 && break; sleep 2; done
pass "cloud-init: $(vssh cloud-init status 2>&1 || true)"

# chk WHAT EXPECTED SCRIPT: runs SCRIPT as root in the guest (sh, from stdin); passes if it
# exits 0 and its output contains EXPECTED
chk() {
  local t0=$(date +%s) rc
  for _ in 1 2 3; do  # rc 255: ssh itself failed (seen once at host load 20), not the script
    rc=0; printf '%s\n' "$3" | vssh sudo -n -- sh -s >"$W/out" 2>&1 || rc=$?
    [ "$rc" = 255 ] || break
  done
  if [ "$rc" = 0 ] && grep -qF -- "$2" "$W/out"; then pass "$1 ($(( $(date +%s) - t0 )) s): $(tail -n1 "$W/out")"
  else fail "$1 (rc $rc, expected '$2'):"; tail -n 20 "$W/out" | sed 's/^/  /'; fi
}
for _ in $(seq 1 60); do printf 'docker info >/dev/null\n' | vssh sudo -n -- sh -s 2>/dev/null && break; sleep 2; done
chk "docker" "cgroup v2" 'docker info --format "{{.ServerVersion}} {{.CgroupDriver}} cgroup v{{.CgroupVersion}}"'
chk "import.sh (7 images)" "imported: k8s.gcr.io/coredns:1.7.0" 'sh /var/lib/vmlab/k8s-images/import.sh; test "$(docker images -q | wc -l)" -ge 7'
chk "import.sh again (skips)" "present: k8s.gcr.io/pause:3.2" 'sh /var/lib/vmlab/k8s-images/import.sh worker'
chk "kube-proxy image: iptables" "nf_tables" 'docker run --rm --net=host --privileged k8s.gcr.io/kube-proxy:v1.20.2 iptables --version'
chk "kube-proxy image: conntrack" "conntrack v1.4" 'docker run --rm --net=host --privileged k8s.gcr.io/kube-proxy:v1.20.2 conntrack --version'
chk "etcd image" "etcd Version: 3.4" 'docker run --rm k8s.gcr.io/etcd:3.4.13-0 etcd --version'
chk "kube-apiserver image" "Kubernetes v1.20.2" 'docker run --rm k8s.gcr.io/kube-apiserver:v1.20.2 kube-apiserver --version'
chk "pause image runs" "true" 'id=$(docker run -d k8s.gcr.io/pause:3.2) && sleep 3 && docker inspect -f "{{.State.Running}}" $id; docker rm -f $id >/dev/null'
chk "kubectl" "v1.20.2" 'kubectl version --client --short'
# what a provisioner sets up before kubeadm (the box does not): modules and sysctls
chk "br_netfilter, overlay, sysctls" "ok" 'modprobe br_netfilter && modprobe overlay && sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.ipv4.ip_forward=1 && echo ok'
# advertiseAddress as a provisioner sets it (the lab address; here the only IPv4 one): left
# unset, kubeadm picked the slirp IPv6 address and wanted IPv6 forwarding
chk "kubeadm init phase preflight" "[preflight]" 'ip4=$(ip -4 -o addr show scope global | awk "{sub(\"/.*\", \"\", \$4); print \$4; exit}")
cat >/tmp/kubeadm.yaml <<YAML
apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: $ip4}
nodeRegistration: {criSocket: /var/run/dockershim.sock}
---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
kubernetesVersion: v1.20.2
YAML
kubeadm init phase preflight --config /tmp/kubeadm.yaml'
grep -E 'WARNING|error' "$W/out" | sed 's/^/  /' || true
[ "$fails" = 0 ] && echo "k8s-smoke-test: all checks passed in $(elapsed)" || { echo "k8s-smoke-test: $fails check(s) failed"; exit 1; }
