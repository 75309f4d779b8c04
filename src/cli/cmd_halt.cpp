// `vmlab halt [NODE...] [-f]`: ACPI shutdown of every (selected) node in parallel, forced off
// after $VMLAB_HALT_TIMEOUT seconds (default 60), or at once with --force.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/lab_ops.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_halt(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("halt", "Stop the lab's machines (ACPI, then forced)");
  struct Opts {
    std::vector<std::string> nodes;
    bool force = false;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->nodes, "nodes to stop (default: all)");
  cmd->add_flag("-f,--force", o->force, "power off at once instead of an ACPI shutdown");
  cmd->add_flag("--json", o->json, "one JSON event per line");
  cmd->callback([&g, o] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, o->nodes);
    executor::LockedLab locked(lab);
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    g.exit_code = executor::halt(lab, o->nodes, o->force, rep) ? 0 : 1;
  });
}

}  // namespace vmlab::cli
