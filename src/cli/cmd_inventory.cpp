// `vmlab inventory`: an Ansible inventory (INI) of the running nodes: one group per lab and
// one per node group ("w{i}-k8s" -> w_k8s). ansible's ssh reads .vmlab/ssh_config (-F), so
// the host keys are verified exactly as by `ssh -F` (tested with ansible-playbook in the e2e).
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/access.hpp"
#include "executor/views.hpp"

namespace vmlab::cli {

void add_inventory(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("inventory", "Print an Ansible inventory of the running lab");
  cmd->callback([&g] {
    Lab lab = open_lab(g);
    auto eps = executor::running_endpoints(lab);
    fmt::print("{}", executor::inventory_text(lab, eps, executor::write_ssh_config(lab, eps)));
  });
}

}  // namespace vmlab::cli
