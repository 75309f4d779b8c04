#pragma once
// Shell completions for vmlab and its vm* links, generated from the command tree
// (reference.hpp): subcommands, options, and for positionals and option values what they
// name: the node names of the lab in the current directory (or -f FILE) and the installed
// boxes, which the scripts ask of vmlab itself (`vmlab __complete nodes|boxes`), and files.
// The build writes them with `vmlab __generate bash|zsh`; cmake/install.cmake installs them.
//
// Both scripts carry the same tables (shell associative arrays keyed by command path,
// "vmlab box add") and walk the words typed so far the same way: options that take a value
// skip it (-f/--file's is remembered for the node names), a word naming a subcommand of the
// current path descends, any other word is the next positional; after `--`, nothing.
#include <string>

#include "cli/reference.hpp"

namespace vmlab::cli {

std::string bash_completion(const CommandRef& root);  // defines _vmlab; `complete -F _vmlab ...`
std::string zsh_completion(const CommandRef& root);   // a #compdef file (_vmlab)

}  // namespace vmlab::cli
