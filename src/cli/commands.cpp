// The explicit command table: one entry per subcommand, each defined in its own cmd_*.cpp.
#include "cli/command.hpp"

namespace vmlab::cli {

void add_validate(CLI::App& app, GlobalOptions& g);
void add_config(CLI::App& app, GlobalOptions& g);

void add_all_commands(CLI::App& app, GlobalOptions& g) {
  app.add_option("-f,--file", g.vmfile, "Vmfile to use (default: ./Vmfile or a parent's)")
      ->check(CLI::ExistingFile);
  app.add_option("--provider", g.provider, "provider override (libvirt | virtualbox)");
  app.add_flag("-v,--verbose", g.verbosity, "more logging (-vv: debug)");
  add_validate(app, g);
  add_config(app, g);
}

}  // namespace vmlab::cli
