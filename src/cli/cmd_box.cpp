// `vmlab box add NAME PATH | list [--json] | remove NAME`: the user's box store (src/boxes).
// `remove` also runs every provider's box hook (libvirt: the box's pool volumes), where the
// provider's backend is reachable.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "boxes/box.hpp"
#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "providers/registry/registry.hpp"

namespace vmlab::cli {
namespace {

struct BoxOpts {
  std::string name;
  std::string path;
  bool json = false;
};

void print_list(bool json) {
  auto all = boxes::list_boxes();
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& b : all)
      arr.push_back({{"name", b.name},
                     {"dir", b.dir.string()},
                     {"user", b.user},
                     {"seed", b.seed},
                     {"kernel_boot", !b.kernel.empty()},
                     {"virtual_size_mib", b.virtual_size_mib}});
    fmt::print("{}\n", arr.dump(2));
    return;
  }
  if (all.empty()) {
    fmt::print("no boxes installed (add one with: vmlab box add NAME PATH)\n");
    return;
  }
  fmt::print("{:<20} {:<10} {:<8} {:>10}\n", "NAME", "USER", "BOOT", "DISK");
  for (const auto& b : all)
    fmt::print("{:<20} {:<10} {:<8} {:>10}\n", b.name, b.user, b.kernel.empty() ? "disk" : "kernel",
               b.virtual_size_mib ? fmt::format("{} MiB", b.virtual_size_mib) : "?");
}

void remove(const std::string& name) {
  boxes::remove_box(name);
  fmt::print("box \"{}\" removed\n", name);
  for (const auto& p : providers::provider_table()) {
    if (!p.forget_box) continue;
    try {
      if (auto line = p.forget_box(name); !line.empty()) fmt::print("{}\n", line);
    } catch (const Error& e) {
      log::debug("box", "{}: box \"{}\" not cleaned: {}", p.name, name, e.what());
    }
  }
}

}  // namespace

void add_box(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("box", "Manage boxes (base images): add, list, remove");
  cmd->require_subcommand(1);
  auto o = std::make_shared<BoxOpts>();

  auto* add = cmd->add_subcommand("add", "Install a box from a directory or a qcow2 image");
  add->add_option("NAME", o->name, "box name")->required();
  add->add_option("PATH", o->path, "box directory (box.qcow2 + box.json) or .qcow2 file")
      ->required();
  add->callback([o] {
    auto b = boxes::add_box(o->name, o->path);
    fmt::print("box \"{}\" added ({})\n", b.name, b.dir.string());
  });

  auto* list = cmd->add_subcommand("list", "List installed boxes");
  list->add_flag("--json", o->json, "machine-readable JSON");
  list->callback([o, &g] { print_list(o->json || g.json); });

  auto* rm = cmd->add_subcommand("remove", "Remove an installed box");
  rm->add_option("NAME", o->name, "box name")->required()->type_name("BOX");
  rm->callback([o] { remove(o->name); });
}

}  // namespace vmlab::cli
