// `vmlab __complete nodes|boxes` (hidden): the words the shell completions offer, one per
// line: the node names of the lab (the Vmfile of -f or the current directory, loaded and
// validated, no provider contacted) or the installed boxes. Prints nothing, and exits 0, when
// there is no Vmfile, it is invalid or the box store cannot be read: a completion stays quiet.
#include <fmt/format.h>

#include "boxes/box.hpp"
#include "cli/command.hpp"
#include "config/load.hpp"
#include "core/log.hpp"

namespace vmlab::cli {

void add_complete(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("__complete", "words for the shell completions");
  cmd->group("");  // hidden: not in --help, the man page or the completions
  auto what = std::make_shared<std::string>();
  cmd->add_option("what", *what, "nodes | boxes")
      ->required()
      ->check(CLI::IsMember({"nodes", "boxes"}));
  cmd->callback([&g, what] {
    log::set_level(log::Level::Error);
    std::string out;
    try {
      if (*what == "nodes") {
        const auto topo = config::load(config::locate_vmfile(g.vmfile), load_options(g));
        for (const auto& n : topo.nodes) out += n.name + "\n";
      } else {
        for (const auto& b : boxes::list_boxes()) out += b.name + "\n";
      }
    } catch (const std::exception&) {
      return;  // nothing to offer
    }
    fmt::print("{}", out);
  });
}

}  // namespace vmlab::cli
