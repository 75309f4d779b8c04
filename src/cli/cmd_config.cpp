// `vmlab config [--json] [FILE]`: prints the expanded topology (groups unrolled, defaults
// applied, derived `after` edges included).
#include <fmt/format.h>

#include "cli/command.hpp"
#include "config/json.hpp"
#include "config/load.hpp"

namespace vmlab::cli {

void add_config(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("config", "show the expanded lab topology");
  static std::string file_arg;
  cmd->add_option("FILE", file_arg, "Vmfile (default: -f, else ./Vmfile or a parent's)");
  cmd->add_flag("--json", g.json, "machine-readable JSON");
  cmd->callback([&g] {
    const auto file = config::locate_vmfile(file_arg.empty() ? g.vmfile : file_arg);
    const config::Topology t = config::load(file, load_options(g));
    if (g.json)
      fmt::print("{}\n", config::to_json(t).dump(2));
    else
      fmt::print("{}", config::summary(t));
  });
}

}  // namespace vmlab::cli
