#include "plan/plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/step_type.hpp"
#include "core/error.hpp"

namespace vmlab::plan {
namespace {

bool selected_node(const std::vector<std::string>& sel, const std::string& n) {
  return sel.empty() || std::find(sel.begin(), sel.end(), n) != sel.end();
}

}  // namespace

bool Plan::nothing_to_do() const {
  return std::all_of(nodes.begin(), nodes.end(), [](const NodePlan& n) {
    return !n.create && !n.start && n.steps.empty();
  });
}

std::string step_digest(const config::ProvisionStep& s) {
  config::DigestBuilder d;
  d.add(s.type);
  if (s.settings) s.settings->digest(d);  // the type's settings and its files' content
  return d.hex();
}

Plan make_plan(const config::Topology& topo, const std::vector<std::string>& selected,
               const std::map<std::string, providers::MachineState>& live,
               const state::LabRecord& record, bool provision_all) {
  Plan p;
  for (const auto& node : topo.nodes) {
    if (!selected_node(selected, node.name)) continue;
    NodePlan np;
    np.node = node.name;
    auto it = live.find(node.name);
    const auto st = it == live.end() ? providers::MachineState::NotCreated : it->second;
    np.create = st == providers::MachineState::NotCreated;
    np.start = st != providers::MachineState::Running;
    const state::MachineRecord* rec = nullptr;
    if (auto r = record.machines.find(node.name); r != record.machines.end() && !np.create)
      rec = &r->second;
    for (const auto& step : node.provision) {
      bool done = false;
      if (rec) {
        auto s = rec->steps.find(step.name);
        done = s != rec->steps.end() && s->second.digest == step_digest(step);
      }
      if (provision_all || step.run == config::RunPolicy::Always || !done)
        np.steps.push_back(step.name);
      else
        np.skipped_steps.push_back(step.name);
    }
    p.nodes.push_back(std::move(np));
  }
  return p;
}

std::vector<std::string> describe(const Plan& p) {
  std::vector<std::string> out;
  for (const auto& n : p.nodes) {
    std::vector<std::string> acts;
    if (n.create) acts.push_back("create");
    if (n.start) acts.push_back("start");
    if (n.create || n.start) acts.push_back("wait for SSH");
    if (!n.steps.empty()) {
      std::string s;
      for (const auto& st : n.steps) s += (s.empty() ? "" : ", ") + st;
      acts.push_back("provision [" + s + "]");
    }
    std::string line = acts.empty() ? "up to date" : "";
    for (const auto& a : acts) line += (line.empty() ? "" : ", ") + a;
    out.push_back(fmt::format("{}: {}", n.node, line));
  }
  return out;
}

void check_selection(const config::Topology& topo, const std::vector<std::string>& selected) {
  for (const auto& s : selected) {
    if (topo.find_node(s)) continue;
    std::string names;
    for (const auto& n : topo.nodes) names += (names.empty() ? "" : ", ") + n.name;
    throw UsageError(fmt::format("no node named \"{}\" in lab \"{}\" (nodes: {})", s, topo.name,
                                 names));
  }
}

}  // namespace vmlab::plan
