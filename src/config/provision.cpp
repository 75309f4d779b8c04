// Stage 2b: provisioning steps. Checks each step on its own (type, required keys, files that
// must exist, allowed values), names steps, and derives the kubernetes join edges.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/ip.hpp"
#include "config/stages.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kTypes = {"shell", "file", "docker", "kubernetes"};
const std::vector<std::string> kRoles = {"control-plane", "worker"};
const std::vector<std::string> kCnis = {"calico", "flannel"};
const char* const kDefaultK8sVersion = "1.30";
const char* const kDefaultPodCidr = "10.244.0.0/16";

bool one_of(const std::string& v, const std::vector<std::string>& allowed) {
  return std::find(allowed.begin(), allowed.end(), v) != allowed.end();
}

// "1.30" or "1.30.2"
bool valid_k8s_version(const std::string& v) {
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

// Resolves a path relative to the project; reports when it does not exist.
fs::path existing(const Val<std::string>& v, const std::string& key, const char* what,
                  const fs::path& project, Diagnostics& diag) {
  fs::path p = fs::path(*v).is_absolute() ? fs::path(*v) : project / *v;
  std::error_code ec;
  if (!fs::exists(p, ec))
    diag.add(
        v.pos, key,
        fmt::format("{} \"{}\" does not exist (relative paths start at the Vmfile's directory)",
                    what, *v));
  return p.lexically_normal();
}

void resolve_shell(const RawStep& s, ProvisionStep& out, const fs::path& project,
                   Diagnostics& diag) {
  if (s.inline_script.has() && s.path.has()) {
    diag.add(s.path.pos, s.key + ".path",
             "a shell step takes either \"inline\" or \"path\", not both");
  } else if (!s.inline_script.has() && !s.path.has()) {
    if (!diag.tainted(s.key + ".inline") && !diag.tainted(s.key + ".path"))
      diag.add(s.pos, s.key,
               "a shell step needs \"inline\" (a script) or \"path\" (a script file)");
  }
  if (s.inline_script.has()) out.inline_script = *s.inline_script;
  if (s.path.has()) out.path = existing(s.path, s.key + ".path", "shell script", project, diag);
  out.args = s.args.value.value_or(std::vector<std::string>{});
  out.env = s.env.value.value_or(std::map<std::string, std::string>{});
  out.privileged = s.privileged.value.value_or(true);
}

void resolve_file(const RawStep& s, ProvisionStep& out, const fs::path& project,
                  Diagnostics& diag) {
  for (auto [v, key] : {std::pair{&s.source, "source"}, std::pair{&s.destination, "destination"}})
    if (!v->has() && !diag.tainted(s.key + "." + key))
      diag.add(s.pos, s.key, fmt::format("a file step needs \"{}\"", key));
  if (s.source.has()) out.source = existing(s.source, s.key + ".source", "source", project, diag);
  if (s.destination.has()) {
    out.destination = *s.destination;
    if (out.destination.empty() || out.destination.front() != '/')
      diag.add(s.destination.pos, s.key + ".destination",
               fmt::format("destination must be an absolute path in the guest, got \"{}\"",
                           out.destination));
  }
}

void resolve_kubernetes(const RawStep& s, ProvisionStep& out, Diagnostics& diag) {
  if (!s.role.has()) {
    if (!diag.tainted(s.key + ".role"))
      diag.add(s.pos, s.key, fmt::format("a kubernetes step needs \"role\" ({})", join(kRoles)));
  } else if (!one_of(*s.role, kRoles)) {
    diag.add(s.role.pos, s.key + ".role",
             fmt::format("invalid role \"{}\"; allowed: {}", *s.role, join(kRoles)));
  } else {
    out.role = *s.role;
  }
  out.version = s.version.value.value_or(kDefaultK8sVersion);
  if (s.version.has() && !valid_k8s_version(out.version))
    diag.add(s.version.pos, s.key + ".version",
             fmt::format("invalid kubernetes version \"{}\"; use \"MAJOR.MINOR\" or "
                         "\"MAJOR.MINOR.PATCH\", e.g. \"1.30\"",
                         out.version));
  out.pod_cidr = s.pod_cidr.value.value_or(kDefaultPodCidr);
  if (s.pod_cidr.has()) {
    const CidrResult c = parse_cidr(*s.pod_cidr);
    if (!c.ok())
      diag.add(s.pod_cidr.pos, s.key + ".pod_cidr", c.error);
    else
      out.pod_cidr = c.cidr.str();
  }
  out.cni = s.cni.value.value_or("calico");
  if (s.cni.has() && !one_of(*s.cni, kCnis))
    diag.add(s.cni.pos, s.key + ".cni",
             fmt::format("invalid cni \"{}\"; allowed: {}", *s.cni, join(kCnis)));
  if (out.role == "worker") {
    for (auto [v, key] : {std::pair{&s.pod_cidr, "pod_cidr"}, std::pair{&s.cni, "cni"}})
      if (v->has())
        diag.add(v->pos, s.key + "." + key,
                 fmt::format("\"{}\" is set on the control-plane step only, not on a worker", key));
  }
}

}  // namespace

ProvisionStep resolve_step(const RawStep& s, const fs::path& project, Diagnostics& diag) {
  ProvisionStep out;
  out.pos = s.pos;
  for (const RawItem& a : s.after) out.after.push_back(a.value);
  if (s.run.has()) {
    if (*s.run == "always")
      out.run = RunPolicy::Always;
    else if (*s.run != "once")
      diag.add(s.run.pos, s.key + ".run",
               fmt::format("invalid run \"{}\"; allowed: once, always", *s.run));
  }
  if (!s.type.has()) {
    if (!diag.tainted(s.key + ".type"))
      diag.add(s.pos, s.key, fmt::format("missing required key \"type\" ({})", join(kTypes)));
    return out;
  }
  out.type = *s.type;
  if (out.type == "shell")
    resolve_shell(s, out, project, diag);
  else if (out.type == "file")
    resolve_file(s, out, project, diag);
  else if (out.type == "docker")
    out.images = s.images.value.value_or(std::vector<std::string>{});
  else if (out.type == "kubernetes")
    resolve_kubernetes(s, out, diag);
  else
    diag.add(s.type.pos, s.key + ".type",
             fmt::format("unknown provisioner type \"{}\"; allowed: {}", out.type, join(kTypes)));
  return out;
}

void name_steps(const RawNode& raw, std::vector<ProvisionStep>& steps, Diagnostics& diag) {
  std::map<std::string, int> per_type, seen_type;
  for (const auto& s : steps) ++per_type[s.type];
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const RawStep& rs = raw.provision[i];
    ProvisionStep& s = steps[i];
    const std::string type = s.type.empty() ? "step" : s.type;
    const int n = ++seen_type[s.type];
    if (rs.name.has()) {
      s.name = *rs.name;
      const bool ok = !s.name.empty() && std::all_of(s.name.begin(), s.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
      if (!ok) {
        diag.add(
            rs.name.pos, rs.key + ".name",
            fmt::format("invalid step name \"{}\": use letters, digits, '-', '_' and '.'", s.name));
        continue;
      }
    } else {
      s.name = per_type[s.type] > 1 ? fmt::format("{}-{}", type, n) : type;
    }
    auto [it, fresh] = first.emplace(s.name, i);
    if (!fresh) {
      const SourcePos pos = rs.name.has() ? rs.name.pos : rs.pos;
      diag.add(
          pos, rs.name.has() ? rs.key + ".name" : rs.key,
          fmt::format("duplicate step name \"{}\" on this node (also {}); set a distinct \"name\"",
                      s.name, raw.provision[it->second].key));
    }
  }
}

void derive_kubernetes(Resolved& r, Diagnostics& diag) {
  struct Ref {
    std::size_t node, step;
  };
  std::vector<Ref> planes, workers;
  for (std::size_t n = 0; n < r.topo.nodes.size(); ++n) {
    const auto& steps = r.topo.nodes[n].provision;
    for (std::size_t s = 0; s < steps.size(); ++s) {
      if (steps[s].type != "kubernetes") continue;
      if (steps[s].role == "control-plane") planes.push_back({n, s});
      if (steps[s].role == "worker") workers.push_back({n, s});
    }
  }
  auto raw_step = [&](const Ref& ref) -> const RawStep& {
    return r.origin[ref.node].raw->provision[ref.step];
  };
  for (std::size_t i = 1; i < planes.size(); ++i) {
    const RawStep& rs = raw_step(planes[i]);
    diag.add(rs.role.pos, rs.key + ".role",
             fmt::format("only one kubernetes control-plane node is supported; \"{}\" is one, "
                         "\"{}\" would be another",
                         r.topo.nodes[planes[0].node].name, r.topo.nodes[planes[i].node].name));
  }
  if (planes.empty() && !workers.empty()) {
    const RawStep& rs = raw_step(workers[0]);
    diag.add(rs.role.pos, rs.key + ".role",
             "a kubernetes worker needs a control-plane: add a kubernetes step with "
             "role = \"control-plane\" to one node");
  }
  if (planes.size() != 1) return;
  const Node& cp = r.topo.nodes[planes[0].node];
  const ProvisionStep& cp_step = cp.provision[planes[0].step];
  const std::string edge = fmt::format("{}:{}", cp.name, cp_step.name);
  for (const Ref& w : workers) {
    ProvisionStep& s = r.topo.nodes[w.node].provision[w.step];
    if (std::find(s.after.begin(), s.after.end(), edge) == s.after.end()) s.after.push_back(edge);
    if (!raw_step(w).version.has()) s.version = cp_step.version;  // workers follow the plane
  }
}

}  // namespace vmlab::config
