#pragma once
// One file per command (cmd_*.cpp). Each exposes `void add_<name>(CLI::App& app, GlobalOptions&)`,
// which adds its subcommand and sets a callback; the explicit table is in commands.cpp.
// Callbacks throw vmlab::Error (or subclasses) on failure; main() prints and maps exit codes.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/load.hpp"

namespace vmlab::cli {

struct GlobalOptions {
  std::string vmfile;    // -f/--file; empty = search cwd and its parents
  std::string provider;  // --provider; empty = VMLAB_PROVIDER, else the Vmfile's
  bool json = false;     // --json: machine-readable output
  int verbosity = 0;     // -v (info), -vv (debug)
  int exit_code = 0;     // a command may set a non-zero exit code without throwing
  // Words after the first "--" (exec's command, ssh's extra ssh arguments); main() splits
  // them off before parsing.
  std::vector<std::string> after_dashes;
};

// How every command loads the Vmfile: the --provider override and the provisioner table.
config::LoadOptions load_options(const GlobalOptions& g);

// Installs every subcommand from the table in commands.cpp.
void add_all_commands(CLI::App& app, GlobalOptions& g);

}  // namespace vmlab::cli
