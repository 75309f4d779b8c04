// `vmlab inventory`: an Ansible inventory (INI) of the running nodes: one group per lab and
// one per node group ("w{i}-k8s" -> w_k8s). ansible's ssh reads .vmlab/ssh_config (-F), so
// the host keys are verified exactly as by `ssh -F` (tested with ansible-playbook in the e2e).
#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/access.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::cli {
namespace {

std::string group_name(const std::string& tmpl) {
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl.compare(i, 3, "{i}") == 0) {
      i += 2;
      continue;
    }
    char c = tmpl[i];
    out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  while (out.find("__") != std::string::npos) out.replace(out.find("__"), 2, "_");
  while (!out.empty() && out.front() == '_') out.erase(0, 1);
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out.empty() ? "nodes" : out;
}

}  // namespace

void add_inventory(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("inventory", "Print an Ansible inventory of the running lab");
  cmd->callback([&g] {
    Lab lab = open_lab(g);
    auto eps = executor::running_endpoints(lab);
    const auto cfg = filenames::ssh_config(lab.topo.project_dir);
    state::write_file_atomic(cfg, executor::ssh_config_text(lab, eps), 0600);
    std::map<std::string, std::vector<std::string>> groups;
    fmt::print("# vmlab lab {}: generated inventory\n[{}]\n", lab.topo.name, group_name(lab.topo.name));
    for (const auto& node : lab.topo.nodes) {
      auto it = eps.find(node.name);
      if (it == eps.end()) continue;
      // No ansible_host/ansible_port: ssh is given the node's name, which the `Host NODE` block
      // of the -F file below maps to its address, port, key and pinned host key (HostKeyAlias).
      // An ansible_host=IP would match neither that block nor the known_hosts alias: every
      // node would fail with "Host key verification failed".
      fmt::print("{} ansible_user={} vmlab_ssh_host={} vmlab_ssh_port={}{}\n", node.name,
                 executor::login_user(node), it->second.host, it->second.port,
                 node.addresses.empty() ? "" : " private_ip=" + node.addresses[0].ip);
      if (node.group != node.name) groups[group_name(node.group)].push_back(node.name);
    }
    for (const auto& [gname, members] : groups) {
      fmt::print("\n[{}]\n", gname);
      for (const auto& m : members) fmt::print("{}\n", m);
    }
    fmt::print("\n[{}:vars]\nansible_ssh_common_args='-F {}'\n", group_name(lab.topo.name),
               std::filesystem::absolute(cfg).string());
  });
}

}  // namespace vmlab::cli
