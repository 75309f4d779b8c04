// The guest side of the kubernetes provisioner: POSIX sh, run as root (sudo), `set -eu`, each
// part skipped when it is already in place. Inputs come as environment variables.
// Why each setting is there: /work/shared/KUBERNETES-OFFLINE.md (measured in TCG guests).
#include "provisioners/kubernetes/kubernetes.hpp"

namespace vmlab::provisioners::k8s_scripts {

// Shared by kInit and kJoin (joined to them as adjacent literals).
// The node's kubeadm registration: its lab address as node IP, dockershim, kubenet.
const char* const kNodeRegistration = R"SH(nodeRegistration:
  name: $NODE_NAME
  criSocket: /var/run/dockershim.sock
  kubeletExtraArgs:
    node-ip: $NODE_IP
    network-plugin: kubenet
    cni-bin-dir: /usr/lib/cni
    pod-infra-container-image: k8s.gcr.io/pause:3.2
)SH";
// Preflight's SystemVerification reads /boot/config-$(uname -r): boxes booted with a direct
// kernel may lack it (the debian-12-k8s box ships it). Only then is that check skipped.
const char* const kPreflightIgnore = R"SH(ignore=""
if ! [ -f "/boot/config-$(uname -r)" ]; then
  say "no /boot/config-$(uname -r): skipping preflight's SystemVerification"
  ignore="--ignore-preflight-errors=SystemVerification"
fi
)SH";

// Node preparation. Env: NODE_IP, POD_CIDR, VERSION (1.20.2), IMAGES (the role's image refs).
// Prints "vmlab-need: bin" when kubeadm/kubelet of VERSION are missing and "vmlab-need:
// images" when the role's images are missing and the box carries no tarballs to import.
const char* const kPrep = R"SH(set -eu
export DEBIAN_FRONTEND=noninteractive
say() { echo "kubernetes: $*"; }
changed() { ! cmp -s "$1" "$2"; }
put() {  # PATH MODE: stdin -> PATH when it differs; returns 0 when written
  t="$1.vmlab-new"; cat > "$t"
  if changed "$t" "$1"; then chmod "$2" "$t"; mv "$t" "$1"; return 0; fi
  rm -f "$t"; return 1
}
pkgs="docker.io apparmor containerd runc containernetworking-plugins conntrack socat ebtables ethtool iptables kubernetes-client"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  say "installing$missing with apt-get (several minutes under TCG; the debian-12-k8s box has them)"
  apt-get update -q
  apt-get install -y -q --no-install-recommends $missing
fi

# docker: cgroup driver systemd (= KubeletConfiguration cgroupDriver)
mkdir -p /etc/docker
if ! grep -q 'native.cgroupdriver=systemd' /etc/docker/daemon.json 2>/dev/null; then
  say "docker: cgroup driver systemd (/etc/docker/daemon.json)"
  python3 - <<'PY'
import json, os
p = "/etc/docker/daemon.json"
d = {}
if os.path.exists(p) and open(p).read().strip():
    d = json.load(open(p))
opts = [o for o in d.get("exec-opts", []) if not o.startswith("native.cgroupdriver=")]
d["exec-opts"] = opts + ["native.cgroupdriver=systemd"]
open(p + ".vmlab-new", "w").write(json.dumps(d, indent=2) + "\n")
os.replace(p + ".vmlab-new", p)
PY
  systemctl restart docker
fi
systemctl enable -q docker containerd 2>/dev/null || true
systemctl is-active -q docker || systemctl start docker
for i in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
docker info >/dev/null

# kernel modules, sysctls, swap
printf 'br_netfilter\noverlay\n' | put /etc/modules-load.d/vmlab-k8s.conf 0644 || true
modprobe br_netfilter
modprobe overlay
printf 'net.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.ip_forward = 1\n' \
  | put /etc/sysctl.d/90-vmlab-k8s.conf 0644 || true
sysctl -q -p /etc/sysctl.d/90-vmlab-k8s.conf
if [ -n "$(swapon --show=NAME --noheadings 2>/dev/null)" ]; then say "swap off"; swapoff -a; fi
if grep -qE '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab; then
  sed -i -E 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# vmlab (kubernetes): \1/' /etc/fstab
fi

# docker sets FORWARD's policy to DROP: accept the pod network (cross-node pod traffic)
for dir in -s -d; do
  iptables -C DOCKER-USER "$dir" "$POD_CIDR" -j ACCEPT 2>/dev/null \
    || iptables -I DOCKER-USER "$dir" "$POD_CIDR" -j ACCEPT
done

# kubelet's unit and kubeadm's drop-in (upstream's .deb has them; the source tree does not)
mkdir -p /etc/systemd/system/kubelet.service.d /etc/kubernetes/manifests /var/lib/kubelet
reload=""
put /etc/systemd/system/kubelet.service 0644 <<'EOF' && reload=1
[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/home/
Wants=network-online.target docker.service
After=network-online.target docker.service
# Not before kubeadm wrote its config (upstream's unit restarts a kubelet without one every
# 10 s until init/join: under TCG each start of that 105 MB binary costs seconds of CPU that
# the control plane, booting or joining nodes on the same host cores, then lacks).
ConditionPathExists=/var/lib/kubelet/config.yaml

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
EOF
put /etc/systemd/system/kubelet.service.d/10-kubeadm.conf 0644 <<'EOF' && reload=1
# written by vmlab (kubernetes provisioner), as upstream's kubeadm package does
[Service]
Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"
Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"
EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env
EnvironmentFile=-/etc/default/kubelet
ExecStart=
ExecStart=/usr/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS
EOF
if [ -n "$reload" ]; then say "kubelet: systemd unit and 10-kubeadm.conf written"; systemctl daemon-reload; fi
systemctl enable -q kubelet 2>/dev/null || true

# binaries and images
have="$(kubeadm version -o short 2>/dev/null || true)"
if [ "$have" != "v$VERSION" ] || ! [ -x /usr/bin/kubelet ] \
   || [ "$(/usr/bin/kubelet --version 2>/dev/null || true)" != "Kubernetes v$VERSION" ]; then
  echo "vmlab-need: bin"
fi
img_missing() {
  for ref in $IMAGES; do docker image inspect "$ref" >/dev/null 2>&1 || { echo "$ref"; return 0; }; done
  return 1
}
if img_missing >/dev/null; then
  if [ -f /var/lib/vmlab/k8s-images/import.sh ]; then
    say "importing the images the box carries (/var/lib/vmlab/k8s-images)"
    sh /var/lib/vmlab/k8s-images/import.sh "$ROLE"
  fi
  if img_missing >/dev/null; then echo "vmlab-need: images"; fi
fi
say "node prepared"
)SH";

// Env: BIN_TGZ (uploaded bin.tar.gz: kubeadm, kubelet).
const char* const kInstallBin = R"SH(set -eu
tar -xzf "$BIN_TGZ" -C /usr/bin kubeadm kubelet
chmod 0755 /usr/bin/kubeadm /usr/bin/kubelet
rm -f "$BIN_TGZ"
echo "kubernetes: $(kubeadm version -o short) installed in /usr/bin"
)SH";

// Env: IMPORT_DIR (uploaded images/ of the bundle), ROLE, IMAGES.
const char* const kImport = R"SH(set -eu
sh "$IMPORT_DIR/import.sh" "$ROLE"
for ref in $IMAGES; do docker image inspect "$ref" >/dev/null 2>&1 || { echo "kubernetes: image $ref still missing" >&2; exit 1; }; done
rm -rf "$IMPORT_DIR"
)SH";

// The last log lines that say why a control plane or a kubelet is not healthy.
const char* const kLogs = R"SH(echo "--- kubelet (last 25 lines of its journal)"
journalctl -u kubelet -n 25 --no-pager -o cat 2>&1 | cut -c1-300 || true
for c in kube-apiserver etcd; do
  id="$(docker ps -a -q --filter "name=k8s_${c}_" 2>/dev/null | head -n1)"
  [ -n "$id" ] || { echo "--- $c: no container"; continue; }
  echo "--- $c (last 15 lines of container $id)"
  docker logs --tail 15 "$id" 2>&1 | cut -c1-300 || true
done
true
)SH";

// Control plane. Env: NODE_IP, NODE_NAME, VERSION, POD_CIDR, LOGIN_USER.
// Exit 10: preflight failed; 11: the API never became healthy; 12: another init failure.
const std::string kInit =
    std::string() + R"SH(set -eu
say() { echo "kubernetes: $*"; }
KC=/etc/kubernetes/admin.conf
ready() { [ -f $KC ] && [ "$(kubectl --kubeconfig $KC get --raw /readyz 2>/dev/null)" = ok ]; }
if ready; then
  say "control plane already up (/readyz ok)"
else
  if [ -e $KC ] || [ -e /etc/kubernetes/manifests/kube-apiserver.yaml ] || [ -e /var/lib/etcd/member ]; then
    say "an earlier kubeadm init did not finish: kubeadm reset -f"
    kubeadm reset -f
  fi
  mkdir -p /etc/kubernetes
  cat > /etc/kubernetes/vmlab-kubeadm.yaml <<EOF
# written by vmlab (kubernetes provisioner)
apiVersion: kubeadm.k8s.io/v1beta2
kind: InitConfiguration
bootstrapTokens:
- ttl: 15m
  usages: [signing, authentication]
  groups: [system:bootstrappers:kubeadm:default-node-token]
localAPIEndpoint:
  advertiseAddress: $NODE_IP
  bindPort: 6443
)SH" +
    kNodeRegistration + R"SH(---
apiVersion: kubeadm.k8s.io/v1beta2
kind: ClusterConfiguration
kubernetesVersion: v$VERSION
networking:
  podSubnet: $POD_CIDR
apiServer:
  timeoutForControlPlane: 20m
etcd:
  local:
    extraArgs:
      heartbeat-interval: "500"
      election-timeout: "5000"
controllerManager:
  extraArgs:
    leader-elect: "false"
scheduler:
  extraArgs:
    leader-elect: "false"
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: systemd
EOF
)SH" +
    kPreflightIgnore +
    R"SH(  say "kubeadm init (advertise $NODE_IP, pod network $POD_CIDR; several minutes under TCG)"
  log=/var/log/vmlab-kubeadm-init.log
  cfg=/etc/kubernetes/vmlab-kubeadm.yaml
  # Patience for the static pods' probes: kubeadm's (timeout 15 s, 8 failures = 80 s) let the
  # kubelet kill a starved API server or etcd under TCG while workers install packages, and
  # their restart takes minutes there ("TLS handshake timeout", then "connection refused").
  # 60 s per probe and 30 failures before a restart. And less often: the probes are HTTPS
  # requests, a TLS handshake each, and kubeadm probes the API server's /readyz every second;
  # under TCG those handshakes alone kept the plane's kubelet and API server busy. Liveness
  # every 30 s, the API server's readiness every 10 s. etcd (one member) ticks every 500 ms.
  patches=/etc/kubernetes/vmlab-patches
  mkdir -p $patches
  for c in kube-apiserver etcd kube-controller-manager kube-scheduler; do
    ready=""
    [ $c = kube-apiserver ] && ready="    readinessProbe: {periodSeconds: 10, timeoutSeconds: 60}"
    cat > $patches/$c.yaml <<EOF
spec:
  containers:
  - name: $c
    livenessProbe: {periodSeconds: 30, timeoutSeconds: 60, failureThreshold: 30}
    startupProbe: {timeoutSeconds: 60, failureThreshold: 60}
$ready
EOF
  done
  : > $log
  # In phases: under TCG the kubelet (105 MB of Go) needed ~3 min from start to healthz, and
  # kubeadm's kubelet-check gives up before that (wait-control-plane failed). So: preflight,
  # certs, kubeconfigs, kubelet-start; wait for the kubelet's healthz (10 min); then the rest.
  step() {  # LABEL CMD...: runs CMD into the log, exits with LABEL's code on failure
    code="$1"; shift
    { rc=0; "$@" || rc=$?; echo "$rc" > $log.rc; } 2>&1 | tee -a $log
    [ "$(cat $log.rc)" = 0 ] || exit "$code"
  }
  step 10 kubeadm init phase preflight --config $cfg $ignore
  step 12 kubeadm init phase certs all --config $cfg
  step 12 kubeadm init phase kubeconfig all --config $cfg
  step 12 kubeadm init phase kubelet-start --config $cfg
  kubelet_ok() {
    python3 -c 'import urllib.request,sys; sys.exit(urllib.request.urlopen("http://127.0.0.1:10248/healthz", timeout=5).read() != b"ok")' 2>/dev/null
  }
  t0=$(date +%s)
  for i in $(seq 1 300); do kubelet_ok && break; sleep 2; done
  kubelet_ok || { say "the kubelet is not healthy 10 min after its start"; exit 11; }
  say "kubelet healthy after $(( $(date +%s) - t0 )) s"
  { rc=0; kubeadm init --config $cfg --skip-token-print --experimental-patches $patches \
      --skip-phases=preflight,certs,kubeconfig,kubelet-start,addon/coredns || rc=$?; echo "$rc" > $log.rc; } 2>&1 | tee -a $log
  rc="$(cat $log.rc)"
  if [ "$rc" != 0 ]; then
    if grep -qE 'wait-control-plane|timed out waiting for the condition|kubelet is not running' $log; then exit 11; fi
    exit 12
  fi
fi
for i in $(seq 1 120); do ready && break; sleep 2; done
ready || exit 11
for i in $(seq 1 60); do kubectl --kubeconfig $KC get node "$NODE_NAME" >/dev/null 2>&1 && break; sleep 2; done
home="$(getent passwd "$LOGIN_USER" | cut -d: -f6)"
install -d -m 0700 -o "$LOGIN_USER" -g "$(id -gn "$LOGIN_USER")" "$home/.kube"
if ! cmp -s $KC "$home/.kube/config"; then
  install -m 0600 -o "$LOGIN_USER" -g "$(id -gn "$LOGIN_USER")" $KC "$home/.kube/config"
  say "admin kubeconfig: $home/.kube/config"
fi
say "control plane up: $(kubectl --kubeconfig $KC get node "$NODE_NAME" --no-headers 2>&1)"
)SH";

// Worker. Env: NODE_IP, NODE_NAME, ENDPOINT, JOIN_TOKEN (secret), CA_HASH.
// Exit 10: preflight failed; 11: the join timed out; 12: another join failure.
const std::string kJoin = std::string() + R"SH(set -eu
say() { echo "kubernetes: $*"; }
if [ -e /etc/kubernetes/kubelet.conf ] || [ -e /etc/kubernetes/bootstrap-kubelet.conf ] || [ -e /var/lib/kubelet/config.yaml ]; then
  say "an earlier join left state here: kubeadm reset -f"
  kubeadm reset -f
fi
umask 077
mkdir -p /run/vmlab-k8s
cfg=/run/vmlab-k8s/join.yaml
trap 'rm -f $cfg' EXIT
cat > $cfg <<EOF
apiVersion: kubeadm.k8s.io/v1beta2
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: $ENDPOINT
    token: $JOIN_TOKEN
    caCertHashes: [$CA_HASH]
  timeout: 10m
)SH" + kNodeRegistration + R"SH(EOF
)SH" + kPreflightIgnore + R"SH(say "kubeadm join $ENDPOINT as $NODE_NAME ($NODE_IP)"
log=/var/log/vmlab-kubeadm-join.log
{ rc=0; timeout 900 kubeadm join --config $cfg $ignore || rc=$?; echo "$rc" > $log.rc; } 2>&1 | tee $log
rc="$(cat $log.rc)"
if [ "$rc" != 0 ]; then
  # A preflight check that failed has [ERROR ...] lines; a preflight phase that could not read
  # the cluster's config in time (a slow API server) is a timeout, tried again.
  if grep -q 'error execution phase preflight' $log && grep -q '\[ERROR ' $log; then exit 10; fi
  if [ "$rc" = 124 ] || grep -qE 'timed out|timeout|Timeout|deadline exceeded|connection refused' $log; then exit 11; fi
  if grep -q 'error execution phase preflight' $log; then exit 10; fi
  exit 12
fi
)SH";

// Control plane probe. Env: NODE_NAME. Prints "ready" (/readyz ok) and "registered".
const char* const kPlaneProbe = R"SH(KC=/etc/kubernetes/admin.conf
[ -f $KC ] && command -v kubectl >/dev/null || exit 0
[ "$(timeout 30 kubectl --kubeconfig $KC get --raw /readyz 2>/dev/null)" = ok ] && echo ready
timeout 30 kubectl --kubeconfig $KC get node "$NODE_NAME" >/dev/null 2>&1 && echo registered
exit 0
)SH";

}  // namespace vmlab::provisioners::k8s_scripts
