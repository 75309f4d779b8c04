// `vmlab provision [NODE...]` (also `vmprovision`): re-run every provisioning step (machines
// are started first if they are not running).
#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/lab_ops.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_provision(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("provision", "Re-run the provisioners of the lab (or some nodes)");
  struct Opts {
    std::vector<std::string> nodes;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->nodes, "nodes to provision (default: all)");
  cmd->add_flag("--json", o->json, "one JSON event per line");
  cmd->callback([&g, o] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, o->nodes);  // a typo is reported before waiting for the lock
    executor::LockedLab locked(lab);
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    executor::UpOptions opts;
    opts.nodes = o->nodes;
    opts.provision_all = true;
    g.exit_code = executor::up(lab, opts, rep) ? 0 : 1;
  });
}

}  // namespace vmlab::cli
