// `vmlab plan [NODE...]`: what `up` would do, without doing it (read-only, no lock).
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {

void add_plan(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("plan", "Show what `up` would do");
  auto nodes = std::make_shared<std::vector<std::string>>();
  cmd->add_option("nodes", *nodes, "nodes to plan for (default: all)");
  cmd->callback([&g, nodes] {
    Lab lab = open_lab(g);
    plan::check_selection(lab.topo, *nodes);
    std::map<std::string, providers::MachineState> states;
    for (const auto& [n, info] : lab.live(false)) states[n] = info.state;
    auto p = plan::make_plan(lab.topo, *nodes, states, lab.store->get(), false);
    for (const auto& line : plan::describe(p)) fmt::print("{}\n", line);
    if (p.nothing_to_do()) fmt::print("nothing to do: the lab is up to date\n");
  });
}

}  // namespace vmlab::cli
