// `vmlab __generate man|bash|zsh [OUT]` (hidden): vmlab(1) and the shell completions, made
// from the command tree of this very binary (reference.hpp), to stdout or to OUT. The build
// runs it after linking vmlab (cmake/install.cmake), so what is installed never drifts from
// the commands.
#include <fmt/format.h>

#include <fstream>

#include "cli/command.hpp"
#include "cli/completion.hpp"
#include "cli/manpage.hpp"
#include "core/error.hpp"

namespace vmlab::cli {

void add_generate(CLI::App& app, GlobalOptions&) {
  auto* cmd = app.add_subcommand("__generate", "the man page and shell completions");
  cmd->group("");  // hidden
  auto what = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("what", *what, "man | bash | zsh")
      ->required()
      ->check(CLI::IsMember({"man", "bash", "zsh"}));
  cmd->add_option("OUT", *out, "write here instead of stdout");
  cmd->callback([cmd, what, out] {
    const CommandRef tree = command_tree(*cmd->get_parent());
    const std::string text = *what == "man"    ? man_page(tree)
                             : *what == "bash" ? bash_completion(tree)
                                               : zsh_completion(tree);
    if (out->empty()) {
      fmt::print("{}", text);
      return;
    }
    std::ofstream f(*out, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) throw Error("cannot write {}", *out);
  });
}

}  // namespace vmlab::cli
