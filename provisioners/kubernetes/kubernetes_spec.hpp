#pragma once
// `type = "kubernetes"` in the Vmfile: its keys, resolved settings and cross-node rules
// (config side). One control plane per lab; workers get a derived `after` edge to it.
#include <filesystem>
#include <string>

#include "config/step_type.hpp"

namespace vmlab::provisioners {

struct KubernetesSettings final : config::StepSettings {
  std::string role;      // "control-plane" | "worker"
  std::string version;   // "1.20.2"
  std::string pod_cidr;  // control plane: "10.244.0.0/16"
  std::string cni;       // control plane: "kubenet" | "calico" | "flannel"
  std::string source;    // "bundle" | "upstream"
  // Where they were written, for the cross-node rules (derive).
  std::string key;                 // "node[0].provision[1]"
  config::SourcePos role_pos;      // of the value (the step's position when unset)
  config::SourcePos pod_cidr_pos;  // likewise
  bool version_set = false;

  void to_json(nlohmann::json& out, const std::filesystem::path& project) const override;
  void digest(config::DigestBuilder& d) const override;
};

// The service CIDR kubeadm uses by default; a pod CIDR must not overlap it.
inline constexpr const char* kServiceCidr = "10.96.0.0/12";

const config::StepType& kubernetes_step_type();

}  // namespace vmlab::provisioners
