#include "executor/views.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "executor/access.hpp"
#include "executor/forwards.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
namespace {

std::string addresses(const config::Node& n) {
  std::string s;
  for (const auto& a : n.addresses) s += (s.empty() ? "" : ",") + a.ip;
  return s.empty() ? "-" : s;
}

// "w{i}-k8s" -> w_k8s: a node group as an Ansible group name.
std::string group_name(const std::string& tmpl) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl.compare(i, 3, "{i}") == 0) {
      i += 2;
      continue;
    }
    const char c = std::isalnum(static_cast<unsigned char>(tmpl[i])) ? tmpl[i] : '_';
    if (c == '_' && (out.empty() || out.back() == '_')) continue;  // no leading or double '_'
    out += c;
  }
  if (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "nodes" : out;
}

}  // namespace

std::string NodeStatus::forwards_text() const {
  std::string s;
  for (const auto& f : forwards)
    s += fmt::format("{}{}:{}->{}/{}{}", s.empty() ? "" : ",", f.host_ip, f.host, f.guest,
                     f.protocol, f.active ? "" : "(inactive)");
  return s.empty() ? "-" : s;
}

std::vector<NodeStatus> node_status(lab::Lab& lab) {
  auto live = lab.live(false);
  auto rec = lab.store->get();
  const auto caps = lab.provider->capabilities();
  const auto served =
      core_forwards(caps) ? served_forwards(lab.topo.project_dir) : std::vector<ForwardRule>{};
  std::vector<NodeStatus> out;
  for (const auto& node : lab.topo.nodes) {
    auto it = live.find(node.name);
    auto st = it == live.end() ? providers::MachineState::NotCreated : it->second.state;
    std::string ssh = "-";
    if (it != live.end() && it->second.ssh)
      ssh = fmt::format("{}:{}", it->second.ssh->host, it->second.ssh->port);
    std::string prov = "-";
    if (auto r = rec.machines.find(node.name);
        r != rec.machines.end() && st != providers::MachineState::NotCreated) {
      size_t done = 0;
      for (const auto& s : node.provision) done += r->second.steps.count(s.name);
      prov = node.provision.empty() ? "none"
             : done == node.provision.size()
                 ? "provisioned"
                 : fmt::format("{}/{} steps", done, node.provision.size());
    } else if (st != providers::MachineState::NotCreated) {
      prov = node.provision.empty() ? "none" : fmt::format("0/{} steps", node.provision.size());
    }
    NodeStatus ns{node.name, st, providers::to_string(st), addresses(node), ssh, prov, {}};
    for (const auto& f : node.forwards) {
      bool active = st == providers::MachineState::Running;
      if (core_forwards(caps))
        active = std::any_of(served.begin(), served.end(), [&](const ForwardRule& r) {
          return r.node == node.name && r.bind_port == f.host && r.protocol == f.protocol;
        });
      else if (!caps.port_forwards)
        active = false;
      ns.forwards.push_back({f.host_ip, f.host, f.guest, f.protocol, active});
    }
    out.push_back(std::move(ns));
  }
  return out;
}

nlohmann::json status_json(lab::Lab& lab, const std::vector<NodeStatus>& nodes) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& n : nodes) {
    nlohmann::json fwds = nlohmann::json::array();
    for (const auto& f : n.forwards)
      fwds.push_back({{"host_ip", f.host_ip},
                      {"host", f.host},
                      {"guest", f.guest},
                      {"protocol", f.protocol},
                      {"active", f.active}});
    arr.push_back({{"name", n.name},
                   {"state", n.state},
                   {"addresses", n.addresses},
                   {"ssh", n.ssh},
                   {"provisioning", n.provisioning},
                   {"forwards", fwds}});
  }
  return {{"lab", lab.topo.name},
          {"lab_id", lab.lab_id},
          {"provider", lab.topo.provider},
          {"nodes", arr}};
}

std::string inventory_text(const lab::Lab& lab,
                           const std::map<std::string, providers::SshEndpoint>& endpoints,
                           const std::filesystem::path& ssh_config) {
  std::string out = fmt::format("# vmlab lab {}: generated inventory\n[{}]\n", lab.topo.name,
                                group_name(lab.topo.name));
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& node : lab.topo.nodes) {
    auto it = endpoints.find(node.name);
    if (it == endpoints.end()) continue;
    // No ansible_host/ansible_port: ssh is given the node's name, which the `Host NODE` block
    // of the -F file maps to its address, port, key and pinned host key (HostKeyAlias). An
    // ansible_host=IP would match neither that block nor the known_hosts alias: every node
    // would fail with "Host key verification failed".
    out += fmt::format("{} ansible_user={} vmlab_ssh_host={} vmlab_ssh_port={}{}\n", node.name,
                       login_user(node), it->second.host, it->second.port,
                       node.addresses.empty() ? "" : " private_ip=" + node.addresses[0].ip);
    if (node.group != node.name) groups[group_name(node.group)].push_back(node.name);
  }
  for (const auto& [gname, members] : groups) {
    out += fmt::format("\n[{}]\n", gname);
    for (const auto& m : members) out += m + "\n";
  }
  out += fmt::format("\n[{}:vars]\nansible_ssh_common_args='-F {}'\n", group_name(lab.topo.name),
                     std::filesystem::absolute(ssh_config).string());
  return out;
}

std::filesystem::path write_ssh_config(
    const lab::Lab& lab, const std::map<std::string, providers::SshEndpoint>& endpoints) {
  const auto cfg = filenames::ssh_config(lab.topo.project_dir);
  state::write_file_atomic(cfg, ssh_config_text(lab, endpoints), 0600);
  return cfg;
}

}  // namespace vmlab::executor
