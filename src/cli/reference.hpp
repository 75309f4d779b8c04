#pragma once
// The command tree as data, read from the CLI11 App that parses vmlab's arguments: what the man
// page (manpage.hpp) and the shell completions (completion.hpp) are generated from, so they
// list exactly the commands and options that exist. Hidden subcommands and options (CLI11
// group "") are left out: `__complete`, `__generate`.
//
// What a word completes to is read from the option itself:
//   positional named node / nodes        -> node names of the lab (`vmlab __complete nodes`)
//   positional of type BOX (->type_name) -> installed boxes (`vmlab __complete boxes`)
//   positional named FILE / PATH, option --file -> file names
//   option --provider                    -> the provider table's names
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace vmlab::cli {

struct OptionRef {
  std::vector<std::string> names;  // "-f", "--file"; for a positional its one name, "nodes"
  std::string value;               // "TEXT", "INT"; "" for a flag
  std::string help;
  std::string completes;  // "nodes" | "boxes" | "files" | "=w1 w2" (these words) | "" (nothing)
  bool positional = false;
  bool required = false;
  bool repeats = false;    // takes several values (nodes...)
  bool is_vmfile = false;  // -f/--file of the root: the Vmfile other completions read
};

struct CommandRef {
  std::vector<std::string> path;  // {"box", "add"}; empty for vmlab itself
  std::string help;
  std::vector<OptionRef> options;      // named options, --help first
  std::vector<OptionRef> positionals;  // in order
  std::vector<CommandRef> subcommands;
  std::string name() const;  // "vmlab box add"
};

// The tree under `app`: the root and every visible subcommand, in the table's order.
CommandRef command_tree(const CLI::App& app);

// The options a word typed after `cmd` may be, as CLI11 resolves them: cmd's own, then its
// parents' (vmlab's -f/--file, --provider, -v), except names cmd itself uses (`destroy -f` is
// --force). `chain` = the root, ..., cmd.
std::vector<OptionRef> effective_options(const std::vector<const CommandRef*>& chain);

}  // namespace vmlab::cli
