// Topology -> JSON: every node with resolved values, provisioners in run order.
#include "config/json.hpp"

#include "config/step_type.hpp"

namespace vmlab::config {
namespace {

using nlohmann::json;

json step_json(const ProvisionStep& s, const std::filesystem::path& project) {
  json j = {{"name", s.name},
            {"type", s.type},
            {"run", s.run == RunPolicy::Always ? "always" : "once"},
            {"after", s.after}};
  if (s.settings) s.settings->to_json(j, project);
  return j;
}

}  // namespace

std::string shown_path(const std::filesystem::path& p, const std::filesystem::path& project) {
  const auto rel = p.lexically_relative(project);
  if (!rel.empty() && *rel.begin() != "..") return rel.generic_string();
  return p.generic_string();
}

json to_json(const Topology& t) {
  json nets = json::array();
  for (const Network& n : t.networks)
    nets.push_back({{"name", n.name}, {"cidr", n.cidr}, {"gateway", n.gateway}});
  json nodes = json::array();
  for (const Node& n : t.nodes) {
    json addrs = json::array();
    for (const Address& a : n.addresses)
      addrs.push_back({{"network", a.network}, {"ip", a.ip}, {"prefix", a.prefix}});
    json fwds = json::array();
    for (const Forward& f : n.forwards)
      fwds.push_back(
          {{"guest", f.guest}, {"host", f.host}, {"protocol", f.protocol}, {"host_ip", f.host_ip}});
    json steps = json::array();
    for (const ProvisionStep& s : n.provision) steps.push_back(step_json(s, t.project_dir));
    nodes.push_back({{"name", n.name},
                     {"group", n.group},
                     {"index", n.index},
                     {"box", n.box},
                     {"cpus", n.cpus},
                     {"memory_mib", n.memory_mib},
                     {"disk_mib", n.disk_mib},
                     {"addresses", addrs},
                     {"forwards", fwds},
                     {"provision", steps}});
    if (!n.syncs.empty()) {  // only when there are any (older consumers see no change)
      json syncs = json::array();
      for (const SyncFolder& s : n.syncs)
        syncs.push_back({{"host", shown_path(s.host, t.project_dir)},
                         {"guest", s.guest},
                         {"mode", to_string(s.mode)}});
      nodes.back()["sync"] = syncs;
    }
  }
  json out = {{"name", t.name},
              {"provider", t.provider},
              {"vmfile", t.vmfile.generic_string()},
              {"project_dir", t.project_dir.generic_string()},
              {"hosts", t.hosts},
              {"vars", t.vars},
              {"libvirt", {{"uri", t.libvirt.uri}}},
              {"networks", nets},
              {"nodes", nodes}};
  if (!t.box_sources.empty()) {  // only with box tables, so older outputs stay as they were
    json boxes = json::array();
    for (const BoxSource& b : t.box_sources)
      boxes.push_back({{"name", b.name}, {"url", b.url}, {"sha256", b.sha256}});
    out["box_sources"] = boxes;
  }
  return out;
}

}  // namespace vmlab::config
