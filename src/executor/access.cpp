#include "executor/access.hpp"

#include <fmt/format.h>

#include "boxes/box.hpp"
#include "communicator/lab_access.hpp"

namespace vmlab::executor {

std::string host_alias(const lab::Lab& lab, const std::string& node) {
  return communicator::host_alias(lab.lab_id, node);
}

void ensure_keys(const lab::Lab& lab) {
  std::vector<std::string> nodes;
  for (const auto& n : lab.topo.nodes) nodes.push_back(n.name);
  communicator::ensure_lab_keys(lab.topo.project_dir, lab.lab_id, nodes);
}

std::string login_user(const config::Node& node) {
  auto box = boxes::find_box(node.box);
  return box ? box->user : "vmlab";
}

providers::MachineKeys machine_keys(const lab::Lab& lab, const config::Node& node) {
  auto k = communicator::read_node_keys(lab.topo.project_dir, node.name);
  return {login_user(node), k.authorized_key, k.host_key_private, k.host_key_public};
}

communicator::SshTarget ssh_target(const lab::Lab& lab, const config::Node& node,
                                   const providers::SshEndpoint& ep) {
  return communicator::lab_target(lab.topo.project_dir, node.name, login_user(node), ep.host,
                                  ep.port);
}

std::string ssh_config_text(const lab::Lab& lab,
                            const std::map<std::string, providers::SshEndpoint>& endpoints) {
  std::vector<communicator::SshConfigHost> hosts;
  for (const auto& node : lab.topo.nodes) {
    auto it = endpoints.find(node.name);
    if (it == endpoints.end()) continue;
    std::vector<std::string> notes;
    for (const auto& f : node.forwards)
      notes.push_back(fmt::format("forwarded: {}:{} -> guest port {}/{}", f.host_ip, f.host,
                                  f.guest, f.protocol));
    hosts.push_back({node.name, it->second.host, it->second.port, login_user(node), notes});
  }
  return communicator::ssh_config_text(lab.topo.project_dir, lab.topo.name, lab.lab_id, hosts);
}

std::map<std::string, providers::SshEndpoint> running_endpoints(lab::Lab& lab) {
  std::map<std::string, providers::SshEndpoint> out;
  for (const auto& [name, info] : lab.live(false))
    if (info.state == providers::MachineState::Running && info.ssh) out[name] = *info.ssh;
  return out;
}

}  // namespace vmlab::executor
