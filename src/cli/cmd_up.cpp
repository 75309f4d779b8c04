// `vmlab up [NODE...]` (also `vmup`): create and start what is missing, in parallel, then
// provision what has not been. A second `up` is a fast no-op.
#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/lab_ops.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_up(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("up", "Create, start and provision the lab (or some nodes)");
  struct Opts {
    std::vector<std::string> nodes;
    bool no_provision = false;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->nodes, "nodes to bring up (default: all)");
  cmd->add_flag("--no-provision", o->no_provision, "create and start only");
  cmd->add_flag("--json", o->json, "one JSON event per line (for CI)");
  cmd->callback([&g, o] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, o->nodes);  // a typo is reported before waiting for the lock
    executor::LockedLab locked(lab);
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    executor::UpOptions opts;
    opts.nodes = o->nodes;
    opts.provision = !o->no_provision;
    g.exit_code = executor::up(lab, opts, rep) ? 0 : 1;
  });
}

}  // namespace vmlab::cli
