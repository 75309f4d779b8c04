#pragma once
// `type = "kubernetes"`: a kubeadm cluster on Docker (dockershim, Kubernetes 1.20) with kubenet
// routes on the lab network, from the offline bundle (bundles/kubernetes/build-bundle.sh).
//
// apply(), in order (each guest script is `set -eu` and skips what is already there):
//   host     the bundle /var/cache/vmlab/k8s/v<version> ($VMLAB_CACHE) exists, else an error
//            naming build-bundle.sh, before the guest is touched
//   prep     node packages (apt only when missing: the debian-12-k8s box has them), docker's
//            cgroup driver systemd, br_netfilter/overlay, sysctls, swap off, kubelet unit +
//            10-kubeadm.conf drop-in, DOCKER-USER ACCEPT for the pod CIDR (kubernetes_scripts.cpp)
//   bundle   kubeadm/kubelet uploaded when missing or of another version; the role's images
//            imported (the box's /var/lib/vmlab/k8s-images, else uploaded from the bundle)
//   plane    `kubeadm init --config` (lab address as advertise address and node-ip, kubenet,
//            leader election off, no CoreDNS, token not printed); admin kubeconfig for the
//            login user, fetched to <project>/.vmlab/kubeconfig (0600)
//   worker   a fresh join command from the control plane (peer session; 15 min token, CA
//            hash pinned; the token is a secret: masked in all output), `kubeadm reset -f`
//            first if an earlier join left state, join with the lab address, wait for Ready
//   routes   every kubernetes node: `ip route replace <podCIDR of node N> via <N's lab IP>`
//            for each other node (podCIDRs read from the API)
// probe: control plane present = /readyz ok, this node registered, kubeconfig fetched;
//        worker present = kubelet.conf here, registered and Ready (asked on the plane).
#include <filesystem>
#include <string>
#include <vector>

#include "provisioners/kubernetes/kubernetes_spec.hpp"
#include "provisioners/provisioner.hpp"

namespace vmlab::provisioners {

class KubernetesProvisioner final : public Provisioner {
 public:
  ProbeResult probe(Context& ctx) override;
  void apply(Context& ctx) override;
};

// The guest scripts (kubernetes_scripts.cpp). All run as root with the env documented there.
namespace k8s_scripts {
extern const char* const kPrep;        // NODE_IP POD_CIDR VERSION IMAGES; prints "vmlab-need: X"
extern const char* const kInstallBin;  // BIN_TGZ
extern const char* const kImport;      // IMPORT_DIR ROLE IMAGES
extern const std::string kInit;        // NODE_IP NODE_NAME VERSION POD_CIDR LOGIN_USER
extern const std::string kJoin;        // NODE_IP NODE_NAME ENDPOINT JOIN_TOKEN CA_HASH
extern const char* const kLogs;        // last kubelet / apiserver log lines
extern const char* const kPlaneProbe;  // NODE_NAME LOGIN_USER; prints "ready" and "registered"
}  // namespace k8s_scripts

// The bundle directory for `version` ("1.20.2"): $VMLAB_CACHE/k8s/v1.20.2, default
// /var/cache/vmlab/k8s/v1.20.2.
std::filesystem::path k8s_bundle_dir(const std::string& version);

// Parsed `kubeadm token create --print-join-command`; empty fields when it did not parse.
struct JoinCommand {
  std::string endpoint;  // "192.168.56.10:6443"
  std::string token;
  std::string ca_hash;  // "sha256:..."
};
JoinCommand parse_join_command(const std::string& out);

// One line per node of `kubectl get nodes` as "name podCIDR internalIP" -> the
// `ip route replace` commands for node `self`: a route to every other node's podCIDR.
std::vector<std::string> route_commands(const std::string& nodes_table, const std::string& self);

}  // namespace vmlab::provisioners
