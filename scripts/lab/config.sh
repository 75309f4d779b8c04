#!/bin/sh
# Node preparation for the Kubernetes lab (Vmfile.example): swap off, kernel modules and
# sysctls that kubeadm checks. Idempotent: each step exits early when already done.
# Usage: config.sh WORKERS   (the number of workers; used to check /etc/hosts)
set -eu
workers="${1:-0}"

if swapon --show 2>/dev/null | grep -q .; then
  swapoff -a
  sed -i '/\sswap\s/s/^/#/' /etc/fstab
fi

for m in overlay br_netfilter; do
  lsmod | grep -q "^$m " || modprobe "$m"
done
printf 'overlay\nbr_netfilter\n' > /etc/modules-load.d/k8s.conf

cat > /etc/sysctl.d/99-k8s.conf <<'CONF'
net.bridge.bridge-nf-call-iptables  = 1
net.bridge.bridge-nf-call-ip6tables = 1
net.ipv4.ip_forward                 = 1
CONF
sysctl --system >/dev/null

# vmlab writes every node into /etc/hosts (hosts = true); fail loudly if it did not.
i=1
while [ "$i" -le "$workers" ]; do
  grep -q "w$i-k8s" /etc/hosts || { echo "config.sh: w$i-k8s missing from /etc/hosts" >&2; exit 1; }
  i=$((i + 1))
done
