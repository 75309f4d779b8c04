#include "provisioners/kubernetes/kubernetes_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/diagnostics.hpp"
#include "config/ip.hpp"

namespace vmlab::provisioners {
namespace {

// What each source can install: the bundle is built from the distribution's own source
// package (Debian 12: v1.20.2); upstream takes any released MAJOR.MINOR[.PATCH].
const char* const kBundleVersion = "1.20.2";

bool release_version(const std::string& v) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t j = i;
    while (j < v.size() && v[j] >= '0' && v[j] <= '9') ++j;
    if (j == i) return false;
    ++parts;
    if (j == v.size()) break;
    if (v[j] != '.') return false;
    i = j + 1;
  }
  return parts == 2 || parts == 3;
}

std::shared_ptr<const config::StepSettings> resolve(const config::StepInput& in) {
  auto s = std::make_shared<KubernetesSettings>();
  s->key = in.key();
  s->role_pos = s->pod_cidr_pos = in.pos();
  if (const config::Value* role = in.get("role")) {
    s->role = role->text;
    s->role_pos = role->pos;
  } else if (!in.tainted("role")) {
    in.error_at_step("a kubernetes step needs \"role\" (control-plane, worker)");
  }
  s->source = in.str("source", "bundle");
  s->version = in.str("version", kBundleVersion);
  s->version_set = in.has("version");
  if (const config::Value* v = in.get("version")) {
    std::string ver = v->text;
    if (!ver.empty() && ver.front() == 'v') ver.erase(0, 1);
    s->version = ver;
    if (!release_version(ver))
      in.error(*v, fmt::format("invalid kubernetes version \"{}\"; use \"MAJOR.MINOR.PATCH\", "
                               "e.g. \"{}\"",
                               v->text, kBundleVersion));
    else if (s->source == "bundle" && ver != kBundleVersion)
      in.error(*v, fmt::format("kubernetes {} is not available from source \"bundle\" (built "
                               "from Debian's kubernetes source package: {} only); use "
                               "version = \"{}\", or source = \"upstream\" (needs internet)",
                               ver, kBundleVersion, kBundleVersion));
  }
  s->pod_cidr = "10.244.0.0/16";
  if (const config::Value* c = in.get("pod_cidr")) {
    s->pod_cidr_pos = c->pos;
    const config::CidrResult r = config::parse_cidr(c->text);
    if (!r.ok())
      in.error(*c, r.error);
    else if (r.cidr.overlaps(config::parse_cidr(kServiceCidr).cidr))
      in.error(*c,
               fmt::format("pod_cidr {} overlaps the service CIDR {}", r.cidr.str(), kServiceCidr));
    else
      s->pod_cidr = r.cidr.str();
  }
  s->cni = in.str("cni", "kubenet");
  if (s->role == "worker")
    for (const char* key : {"pod_cidr", "cni"})
      if (in.has(key))
        in.error(key,
                 fmt::format("\"{}\" is set on the control-plane step only, not on a worker", key));
  return s;
}

struct Ref {
  config::Node* node;
  config::ProvisionStep* step;
  const KubernetesSettings* k;
};

// One control plane; workers need it and wait for it (derived edge) and follow its version,
// source and pod CIDR; every kubernetes node needs a lab address; the pod CIDR must not
// overlap a lab network.
void derive(config::Topology& topo, config::Diagnostics& diag) {
  std::vector<Ref> planes, workers;
  for (auto& n : topo.nodes)
    for (auto& st : n.provision) {
      if (st.type != "kubernetes" || !st.settings) continue;
      const auto& k = st.as<KubernetesSettings>();
      if (n.addresses.empty() && !topo.networks.empty())
        diag.add(st.pos, k.key, "a kubernetes node needs an address on a lab network: set \"ip\"");
      if (k.role == "control-plane") planes.push_back({&n, &st, &k});
      if (k.role == "worker") workers.push_back({&n, &st, &k});
    }
  for (std::size_t i = 1; i < planes.size(); ++i)
    diag.add(planes[i].k->role_pos, planes[i].k->key + ".role",
             fmt::format("only one kubernetes control-plane node is supported; \"{}\" is one, "
                         "\"{}\" would be another",
                         planes[0].node->name, planes[i].node->name));
  if (planes.empty() && !workers.empty())
    diag.add(workers[0].k->role_pos, workers[0].k->key + ".role",
             "a kubernetes worker needs a control-plane: add a kubernetes step with "
             "role = \"control-plane\" to one node");
  if (planes.size() != 1) return;
  const Ref& cp = planes[0];
  const auto pods = config::parse_cidr(cp.k->pod_cidr);
  for (const auto& net : topo.networks)
    if (pods.ok() && pods.cidr.overlaps(config::Cidr{net.base, net.prefix}))
      diag.add(cp.k->pod_cidr_pos, cp.k->key + ".pod_cidr",
               fmt::format("pod_cidr {} overlaps lab network {} ({})", cp.k->pod_cidr, net.name,
                           net.cidr));
  const std::string edge = fmt::format("{}:{}", cp.node->name, cp.step->name);
  for (const Ref& w : workers) {
    if (std::find(w.step->after.begin(), w.step->after.end(), edge) == w.step->after.end())
      w.step->after.push_back(edge);
    auto follow = std::make_shared<KubernetesSettings>(*w.k);
    if (!w.k->version_set) follow->version = cp.k->version;  // workers follow the plane
    follow->pod_cidr = cp.k->pod_cidr;
    follow->cni = cp.k->cni;
    w.step->settings = std::move(follow);
  }
}

}  // namespace

void KubernetesSettings::to_json(nlohmann::json& j, const std::filesystem::path&) const {
  j["role"] = role;
  j["version"] = version;
  j["source"] = source;
  if (role == "control-plane") {
    j["pod_cidr"] = pod_cidr;
    j["cni"] = cni;
  }
}

void KubernetesSettings::digest(config::DigestBuilder& d) const {
  for (const auto* f : {&role, &version, &pod_cidr, &cni, &source}) d.add(*f);
}

const config::StepType& kubernetes_step_type() {
  static const config::StepType kType{
      "kubernetes",
      "a kubeadm cluster: one control plane, workers that join it",
      {
          {"role",
           config::KeyType::String,
           {"control-plane", "worker"},
           "",
           "control-plane or worker (required)"},
          {"version", config::KeyType::String, {}, kBundleVersion, "Kubernetes version"},
          {"pod_cidr",
           config::KeyType::String,
           {},
           "10.244.0.0/16",
           "pod network (control plane only)"},
          {"cni",
           config::KeyType::String,
           {"kubenet", "calico", "flannel"},
           "kubenet",
           "pod networking (control plane only); calico/flannel need the guests online"},
          {"source",
           config::KeyType::String,
           {"bundle", "upstream"},
           "bundle",
           "bundle: built from Debian's source package, cached on the host; upstream: the "
           "Kubernetes apt repository (needs internet)"},
      },
      &resolve,
      &derive,
      /*implemented=*/true,
  };
  return kType;
}

}  // namespace vmlab::provisioners
