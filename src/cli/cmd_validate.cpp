// `vmlab validate [-f FILE]`: checks a Vmfile; prints "FILE: ok (N nodes, M networks)".
// Problems are thrown as config::ConfigError (exit 2); main() prints them one per line.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "config/load.hpp"

namespace vmlab::cli {

void add_validate(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("validate", "check a Vmfile and report every problem");
  cmd->callback([&g] {
    const auto file = config::locate_vmfile(g.vmfile);
    const config::Topology t = config::load(file, load_options(g));
    const auto n = t.nodes.size(), m = t.networks.size();
    fmt::print("{}: ok ({} node{}, {} network{})\n", file.string(), n, n == 1 ? "" : "s", m,
               m == 1 ? "" : "s");
  });
}

}  // namespace vmlab::cli
