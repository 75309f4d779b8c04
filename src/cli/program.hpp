#pragma once
// vmlab as a whole: its names (vmlab and the vm* links), its version text, and the root CLI11
// App every name parses with. main() runs it; the man page and the shell completions are
// generated from the same App (`vmlab __generate`), so what is documented is what runs.
#include <CLI/CLI.hpp>
#include <span>
#include <string>

#include "cli/command.hpp"

namespace vmlab::cli {

// A link name and the subcommand it stands for: `vmup ARGS` == `vmlab up ARGS`.
struct LinkName {
  const char* link;
  const char* command;
};
// Every link, in the order the man page lists them (CMakeLists.txt installs the same names).
std::span<const LinkName> link_names();

// The subcommand argv0's base name stands for ("up" for "/usr/bin/vmup"); "" for any other.
std::string command_for_name(const std::string& argv0);

// `vmlab --version`: "vmlab X.Y.Z", then one line per client library (the providers' and
// libssh2), each with the version in use and the one compiled against. Contacts nothing.
std::string version_text();

// Makes `app` vmlab's root: name, description, --version, the environment footer and every
// subcommand of the table (add_all_commands).
void setup_app(CLI::App& app, GlobalOptions& g);

}  // namespace vmlab::cli
