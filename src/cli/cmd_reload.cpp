// `vmlab reload [NODE...]`: halt, then up (without re-running "once" steps that already ran).
#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/lab_ops.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_reload(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("reload", "Restart the lab's machines (halt, then up)");
  struct Opts {
    std::vector<std::string> nodes;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->nodes, "nodes to restart (default: all)");
  cmd->add_flag("--json", o->json, "one JSON event per line");
  cmd->callback([&g, o] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, o->nodes);  // before anything is stopped
    executor::LockedLab locked(lab);
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    if (!executor::halt(lab, o->nodes, false, rep)) {
      g.exit_code = 1;
      return;
    }
    executor::UpOptions opts;
    opts.nodes = o->nodes;
    g.exit_code = executor::up(lab, opts, rep) ? 0 : 1;
  });
}

}  // namespace vmlab::cli
