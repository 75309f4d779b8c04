#include "executor/lab_ops.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/error.hpp"
#include "core/settings.hpp"
#include "executor/capabilities.hpp"
#include "executor/forwards.hpp"
#include "executor/parallel.hpp"
#include "state/filenames.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;

LockedLab::LockedLab(lab::Lab& lab) {
  lock_ = std::make_unique<state::ProjectLock>(lab.topo.project_dir, [](const std::string& who) {
    fmt::print(stderr, "vmlab: another vmlab (pid {}) is working on this lab; waiting...\n", who);
  });
  lab.store->load();  // re-read: the previous holder may have changed it
}

std::vector<std::string> node_names(const config::Topology& topo) {
  std::vector<std::string> out;
  for (const auto& n : topo.nodes) out.push_back(n.name);
  return out;
}

namespace {

std::chrono::seconds halt_grace() {
  return settings::seconds("VMLAB_HALT_TIMEOUT", 0);  // 0: power off at once
}

bool report_failures(Reporter& rep, const std::string& what,
                     const std::map<std::string, std::string>& failures) {
  if (failures.empty()) return true;
  std::vector<std::string> lines{fmt::format("{} failed on {} node(s):", what, failures.size())};
  for (const auto& [node, msg] : failures) lines.push_back(fmt::format("  {}: {}", node, msg));
  rep.summary(false, lines);
  return false;
}

}  // namespace

bool halt(lab::Lab& lab, const std::vector<std::string>& nodes, bool force, Reporter& rep) {
  WarningsToReporter warnings(*lab.provider, rep);
  auto live = lab.live(true);
  std::vector<std::string> todo;
  for (const auto& n : lab.topo.nodes) {
    if (!nodes.empty() && std::find(nodes.begin(), nodes.end(), n.name) == nodes.end()) continue;
    auto it = live.find(n.name);
    if (it == live.end()) {
      rep.event(n.name, "not-created", "not created");
    } else if (it->second.state == providers::MachineState::Stopped) {
      rep.event(n.name, "stopped", "already stopped");
    } else {
      todo.push_back(n.name);
    }
  }
  const auto grace = halt_grace();
  // Marked first: a halt killed after the ACPI request leaves guests shutting down behind a
  // "running" domain; the next `up` sees the mark and finishes the halt before starting.
  lab.store->update([&](state::LabRecord& r) {
    for (const auto& n : todo) r.machines[n].halting = true;
  });
  auto failures = parallel_for(todo, default_parallelism(), [&](const std::string& node) {
    rep.event(node, "stopping", force ? "powering off" : "shutting down (ACPI)");
    lab.provider->stop(lab.ref(node), force, grace);
    lab.store->update([&](state::LabRecord& r) { r.machines[node].halting = false; });
    rep.event(node, "stopped", "stopped");
  });
  // The stopped nodes' forwards go (the forwarder stops with the last one).
  bool fwd_ok = todo.empty() || !core_forwards(lab.provider->capabilities()) ||
                update_forwards(lab, lab.live(false), rep);
  if (!report_failures(rep, "halt", failures) || !fwd_ok) return false;
  rep.summary(true, {fmt::format("lab {}: {} node(s) stopped", lab.topo.name, todo.size())});
  return true;
}

bool destroy(lab::Lab& lab, Reporter& rep, const std::vector<std::string>& nodes) {
  WarningsToReporter warnings(*lab.provider, rep);
  // Every listed machine (also of nodes no longer in the Vmfile) and every node of the Vmfile:
  // destroy() is idempotent and also removes what a create() cut short left behind.
  std::vector<std::string> todo = nodes.empty() ? node_names(lab.topo) : nodes;
  if (nodes.empty())
    for (const auto& m : lab.provider->list(lab.lab_id))
      if (std::find(todo.begin(), todo.end(), m.name) == todo.end()) todo.push_back(m.name);
  auto failures = parallel_for(todo, default_parallelism(), [&](const std::string& node) {
    rep.event(node, "destroying", "destroying");
    lab.provider->destroy(lab.ref(node));
    // Its record goes with the machine: the next `up` creates and provisions it afresh.
    if (!nodes.empty()) lab.store->update([&](state::LabRecord& r) { r.machines.erase(node); });
    rep.event(node, "destroyed", "destroyed");
  });
  if (!failures.empty()) return report_failures(rep, "destroy", failures);
  if (!nodes.empty()) {
    if (core_forwards(lab.provider->capabilities()) && !update_forwards(lab, lab.live(false), rep))
      return false;
    rep.summary(true, {fmt::format("{} of lab {} destroyed (the rest of the lab is kept)",
                                   fmt::join(nodes, ", "), lab.topo.name)});
    return true;
  }
  stop_forwarder(lab.topo.project_dir);  // before its pid file goes with the record
  rep.lab("removing lab networks");
  lab.provider->destroy_lab(lab.lab_id);
  // The record goes last, so an interrupted destroy can be re-run with the same lab id.
  const fs::path dir = filenames::state_dir(lab.topo.project_dir);
  std::error_code ec;
  // The lock stays (a waiting vmlab holds it open), and so do `vmlab ci`'s artifacts: they are
  // the evidence of a run whose lab is gone.
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename() != filenames::kLockFile &&
        entry.path().filename() != filenames::kArtifactsDir)
      fs::remove_all(entry.path(), ec);
  rep.summary(true, {fmt::format("lab {} destroyed", lab.topo.name)});
  return true;
}

}  // namespace vmlab::executor
