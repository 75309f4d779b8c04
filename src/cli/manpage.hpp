#pragma once
// vmlab(1), generated from the command tree (reference.hpp) and the settings table, so the man
// page lists exactly the commands, options and environment variables that exist. The build
// writes it with `vmlab __generate man` and installs it gzipped (cmake/install.cmake).
#include <string>

#include "cli/reference.hpp"

namespace vmlab::cli {

// The page in roff (man(7) macros): NAME, SYNOPSIS, DESCRIPTION, OPTIONS, COMMANDS (one .SS
// per command, subcommands as "vmlab box add"), ENVIRONMENT, EXIT STATUS, FILES, SEE ALSO.
std::string man_page(const CommandRef& root);

}  // namespace vmlab::cli
