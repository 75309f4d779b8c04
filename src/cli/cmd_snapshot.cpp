// `vmlab snapshot save [NAME] | restore NAME | list | delete NAME`: whole-lab snapshots
// (executor/snapshots.hpp): every machine at one moment, with the provisioning record.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "executor/lab_ops.hpp"
#include "executor/snapshots.hpp"

namespace vmlab::cli {

namespace {

struct Opts {
  std::string name;
  bool json = false;
};

CLI::App* sub(CLI::App* parent, const std::string& name, const std::string& help,
              const std::shared_ptr<Opts>& o, bool name_required) {
  auto* c = parent->add_subcommand(name, help);
  if (name_required)
    c->add_option("NAME", o->name, "snapshot name")->required();
  else
    c->add_option("NAME", o->name, "snapshot name (default: snap-YYYYMMDD-HHMMSS, UTC)");
  c->add_flag("--json", o->json, "one JSON event per line");
  return c;
}

}  // namespace

void add_snapshot(CLI::App& app, GlobalOptions& g) {
  auto* cmd =
      app.add_subcommand("snapshot", "Save, restore, list or delete snapshots of the whole lab");
  cmd->require_subcommand(1);
  auto o = std::make_shared<Opts>();

  auto mutating = [&g, o](bool (*fn)(lab::Lab&, const std::string&, executor::Reporter&),
                          bool default_name) {
    return [&g, o, fn, default_name] {
      Lab lab = open_lab(g);
      executor::LockedLab locked(lab);
      executor::Reporter rep(o->json, executor::node_names(lab.topo));
      std::string name =
          o->name.empty() && default_name ? executor::default_snapshot_name() : o->name;
      g.exit_code = fn(lab, name, rep) ? 0 : 1;
    };
  };
  sub(cmd, "save", "Snapshot every machine of the lab at one moment (running or halted)", o, false)
      ->callback(mutating(executor::save_snapshot, true));
  sub(cmd, "restore", "Return every machine of the snapshot to it, with its provisioning record", o,
      true)
      ->callback(mutating(executor::restore_snapshot, false));
  sub(cmd, "delete", "Remove a snapshot from every machine", o, true)
      ->callback(mutating(executor::delete_snapshot, false));

  auto* list = cmd->add_subcommand("list", "The lab's snapshots, oldest first");
  list->add_flag("--json", o->json, "as JSON");
  list->callback([&g, o] {
    Lab lab = open_lab(g);
    const auto snaps = executor::list_snapshots(lab);
    if (o->json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& s : snaps)
        arr.push_back({{"name", s.name}, {"created", s.created}, {"nodes", s.nodes}});
      fmt::print("{}\n", arr.dump(2));
      return;
    }
    if (snaps.empty()) {
      fmt::print("lab {} has no snapshots\n", lab.topo.name);
      return;
    }
    size_t w = 4;
    for (const auto& s : snaps) w = std::max(w, s.name.size());
    fmt::print("{:<{}}  {:<20}  {}\n", "NAME", w, "CREATED", "NODES");
    for (const auto& s : snaps) {
      std::string nodes;
      for (const auto& [n, st] : s.nodes)
        nodes += (nodes.empty() ? "" : ", ") + n + " (" + st + ")";
      fmt::print("{:<{}}  {:<20}  {}\n", s.name, w, s.created, nodes);
    }
  });
}

}  // namespace vmlab::cli
