#pragma once
// The commands' way into a lab (src/lab): the global options become lab::OpenOptions.
#include "cli/command.hpp"
#include "lab/lab.hpp"

namespace vmlab::cli {

using lab::Lab;

// lab::open_lab with -f/--file and --provider.
Lab open_lab(const GlobalOptions& g);

}  // namespace vmlab::cli
