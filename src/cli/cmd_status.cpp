// `vmlab status [--json]`: one line per node, reconciled with the provider. Read-only: takes
// no lock and creates nothing (one provider->list() call; answers in milliseconds).
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/views.hpp"

namespace vmlab::cli {

namespace {

void run_status(GlobalOptions& g, bool json) {
  Lab lab = open_lab(g);
  const auto nodes = executor::node_status(lab);
  if (json) {
    fmt::print("{}\n", executor::status_json(lab, nodes).dump(2));
    return;
  }
  // The FORWARDS column only when some node has forwards (the common lab has none).
  const bool fwd =
      std::any_of(nodes.begin(), nodes.end(), [](const auto& n) { return !n.forwards.empty(); });
  std::array<size_t, 5> w{4, 5, 7, 3, 12};
  for (const auto& n : nodes) {
    const std::array<const std::string*, 5> f{&n.name, &n.state, &n.addresses, &n.ssh,
                                              &n.provisioning};
    for (size_t i = 0; i < 5; ++i) w[i] = std::max(w[i], f[i]->size());
  }
  const size_t last = fwd ? w[4] : 0;
  fmt::print("lab {} ({}, {})\n", lab.topo.name, lab.topo.provider, lab.lab_id);
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}{}\n", "NODE", w[0], "STATE", w[1], "ADDRESS",
             w[2], "SSH", w[3], "PROVISIONING", last, fwd ? "  FORWARDS" : "");
  for (const auto& n : nodes)
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {:<{}}{}\n", n.name, w[0], n.state, w[1],
               n.addresses, w[2], n.ssh, w[3], n.provisioning, last,
               fwd ? "  " + n.forwards_text() : "");
}

}  // namespace

void add_status(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("status", "Show each node's state, address and provisioning");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->callback([&g, json] { run_status(g, *json); });
}

}  // namespace vmlab::cli
