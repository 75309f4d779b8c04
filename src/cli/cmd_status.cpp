// `vmlab status [--json]`: one line per node, reconciled with the provider. Read-only: takes
// no lock and creates nothing (one provider->list() call; answers in milliseconds).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/lab.hpp"

namespace vmlab::cli {

namespace {

std::string addresses(const config::Node& n) {
  std::string s;
  for (const auto& a : n.addresses) s += (s.empty() ? "" : ",") + a.ip;
  return s.empty() ? "-" : s;
}

void run_status(GlobalOptions& g, bool json) {
  Lab lab = open_lab(g);
  auto live = lab.live(false);
  auto rec = lab.store->get();
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::array<std::string, 5>> rows;
  for (const auto& node : lab.topo.nodes) {
    auto it = live.find(node.name);
    auto st = it == live.end() ? providers::MachineState::NotCreated : it->second.state;
    std::string ssh = "-";
    if (it != live.end() && it->second.ssh)
      ssh = fmt::format("{}:{}", it->second.ssh->host, it->second.ssh->port);
    std::string prov = "-";
    if (auto r = rec.machines.find(node.name);
        r != rec.machines.end() && st != providers::MachineState::NotCreated) {
      size_t done = 0;
      for (const auto& s : node.provision) done += r->second.steps.count(s.name);
      prov = node.provision.empty() ? "none"
             : done == node.provision.size()
                 ? "provisioned"
                 : fmt::format("{}/{} steps", done, node.provision.size());
    } else if (st != providers::MachineState::NotCreated) {
      prov = node.provision.empty() ? "none" : fmt::format("0/{} steps", node.provision.size());
    }
    rows.push_back({node.name, providers::to_string(st), addresses(node), ssh, prov});
    out.push_back({{"name", node.name},
                   {"state", providers::to_string(st)},
                   {"addresses", addresses(node)},
                   {"ssh", ssh},
                   {"provisioning", prov}});
  }
  if (json) {
    fmt::print("{}\n", nlohmann::json{{"lab", lab.topo.name},
                                      {"lab_id", lab.lab_id},
                                      {"provider", lab.topo.provider},
                                      {"nodes", out}}
                           .dump(2));
    return;
  }
  std::array<size_t, 5> w{4, 5, 7, 3, 12};
  for (const auto& r : rows)
    for (size_t i = 0; i < 5; ++i) w[i] = std::max(w[i], r[i].size());
  fmt::print("lab {} ({}, {})\n", lab.topo.name, lab.topo.provider, lab.lab_id);
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "NODE", w[0], "STATE", w[1], "ADDRESS", w[2],
             "SSH", w[3], "PROVISIONING");
  for (const auto& r : rows)
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", r[0], w[0], r[1], w[1], r[2], w[2], r[3],
               w[3], r[4]);
}

}  // namespace

void add_status(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("status", "Show each node's state, address and provisioning");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->callback([&g, json] { run_status(g, *json); });
}

}  // namespace vmlab::cli
