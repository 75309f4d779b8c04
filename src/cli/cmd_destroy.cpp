// `vmlab destroy [-f]`: removes everything the lab created (machines, disks, seeds, networks)
// and the lab's .vmlab/ record. Asks first on a terminal; elsewhere -f is required.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <iostream>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "core/error.hpp"
#include "executor/lab_ops.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_destroy(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("destroy", "Remove every machine, disk, seed and network of the lab");
  struct Opts {
    bool force = false;
    bool json = false;
    std::vector<std::string> nodes;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->nodes,
                  "only these nodes: their machines and records (default: the whole lab)");
  cmd->add_flag("-f,--force", o->force, "do not ask for confirmation");
  cmd->add_flag("--json", o->json, "one JSON event per line");
  cmd->callback([&g, o] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, o->nodes);
    if (!o->force) {
      if (!isatty(STDIN_FILENO))
        throw UsageError("destroy needs -f when stdin is not a terminal (nothing was removed)");
      if (o->nodes.empty())
        fmt::print("Destroy lab \"{}\" ({} nodes) and everything it created? [y/N] ", lab.topo.name,
                   lab.topo.nodes.size());
      else
        fmt::print("Destroy {} of lab \"{}\" (machines and their provisioning record)? [y/N] ",
                   fmt::join(o->nodes, ", "), lab.topo.name);
      std::fflush(stdout);
      std::string answer;
      std::getline(std::cin, answer);
      if (answer != "y" && answer != "Y" && answer != "yes") {
        fmt::print("nothing destroyed\n");
        return;
      }
    }
    executor::LockedLab locked(lab);
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    g.exit_code = executor::destroy(lab, rep, o->nodes) ? 0 : 1;
  });
}

}  // namespace vmlab::cli
