// `vmlab ssh-config [NODE...]`: an OpenSSH client config for the running nodes that any tool
// can use, with the lab key and pinned host keys: `vmlab ssh-config > F; ssh -F F node1`.
// Not `ssh -F <(vmlab ssh-config)`: OpenSSH 9.2 closes inherited descriptors before it reads
// -F ("Can't open user config file /dev/fd/63", bench/README.md). `vmssh` and `inventory`
// also write the config of every running node to .vmlab/ssh_config.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/access.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_ssh_config(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("ssh-config", "Print an OpenSSH config for the lab's nodes");
  auto nodes = std::make_shared<std::vector<std::string>>();
  cmd->add_option("nodes", *nodes, "nodes (default: all running)");
  cmd->callback([&g, nodes] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, *nodes);
    auto eps = executor::running_endpoints(lab);
    if (!nodes->empty())
      for (auto it = eps.begin(); it != eps.end();)
        it = std::find(nodes->begin(), nodes->end(), it->first) == nodes->end() ? eps.erase(it)
                                                                                  : std::next(it);
    fmt::print("{}", executor::ssh_config_text(lab, eps));
  });
}

}  // namespace vmlab::cli
