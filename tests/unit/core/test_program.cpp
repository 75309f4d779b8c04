// vmlab(1) and the completions are generated from the CLI11 App main() parses with, so they
// cannot drift: every visible subcommand (and sub-subcommand) of the table has its section in
// the man page with each of its options, every environment variable of the settings table is
// listed, hidden commands are not, and the page the build generated is today's.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "cli/completion.hpp"
#include "cli/manpage.hpp"
#include "cli/program.hpp"
#include "core/settings.hpp"
#include "testutil.hpp"

namespace {

using vmlab::cli::CommandRef;

std::string roff_escaped(std::string s) {
  std::string out;
  for (char c : s) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

// Text without font changes: `code` in the table's strings, \fB...\fR in the page.
std::string plain(std::string s) {
  for (const char* f : {"\\fB", "\\fI", "\\fR"})
    for (auto at = s.find(f); at != std::string::npos; at = s.find(f)) s.erase(at, 3);
  std::erase(s, '`');
  return s;
}

// The section of `page` that documents `title` (up to the next .SS or .SH).
std::string section(const std::string& page, const std::string& title) {
  const std::string head = ".SS \"" + roff_escaped(title) + "\"\n";
  auto at = page.find(head);
  if (at == std::string::npos) return "";
  auto end = page.find("\n.S", at + head.size());
  return page.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// Walks the CLI11 App itself (not the generator's CommandRef): every visible subcommand.
void check_commands(const CLI::App& app, const std::string& prefix, const std::string& page,
                    int& count) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    const std::string title = prefix + " " + sub->get_name();
    CAPTURE(title);
    if (sub->get_group().empty()) {  // hidden: not past the header comment
      CHECK(page.find(sub->get_name(), page.find('\n')) == std::string::npos);
      continue;
    }
    ++count;
    const std::string sec = section(page, title);
    REQUIRE_MESSAGE(!sec.empty(), "no section for " << title);
    CHECK(plain(sec).find(roff_escaped(plain(sub->get_description()))) != std::string::npos);
    for (const CLI::Option* o : sub->get_options()) {
      if (o == sub->get_help_ptr()) continue;
      for (const auto& l : o->get_lnames())
        CHECK(sec.find("\\-\\-" + roff_escaped(l)) != std::string::npos);
      if (!o->nonpositional()) CHECK(sec.find(o->get_name(true)) != std::string::npos);
    }
    check_commands(*sub, title, page, count);
  }
}

}  // namespace

TEST_CASE("the man page documents every subcommand of the table with its options") {
  CLI::App app;
  vmlab::cli::GlobalOptions g;
  vmlab::cli::setup_app(app, g);
  const std::string page = vmlab::cli::man_page(vmlab::cli::command_tree(app));
  int count = 0;
  check_commands(app, "vmlab", page, count);
  // The table's well-known commands are there at all (an empty walk would pass the above).
  for (const char* c : {"up", "status", "ssh", "halt", "destroy", "provision", "box add",
                        "box remove", "validate", "ssh-config", "inventory"})
    CHECK_MESSAGE(!section(page, std::string("vmlab ") + c).empty(), c);
  CHECK(count >= 15);
  for (const char* h : {".SH NAME\n", ".SH SYNOPSIS\n", ".SH OPTIONS\n", ".SH COMMANDS\n",
                        ".SH ENVIRONMENT\n", ".SH \"EXIT STATUS\"\n", ".SH FILES\n"})
    CHECK_MESSAGE(page.find(h) != std::string::npos, h);
  for (const char* o : {"\\-\\-file", "\\-\\-provider", "\\-\\-verbose", "\\-\\-version"})
    CHECK_MESSAGE(page.find(o) != std::string::npos, o);
  for (const auto& s : vmlab::settings::table())
    CHECK_MESSAGE(page.find(".B " + std::string(s.name) + "\n") != std::string::npos, s.name);
  CHECK(page.find(".I .vmlab/\n") != std::string::npos);
  CHECK(page.find("vmlab, vmup, vmssh,") != std::string::npos);
  CHECK(page.find("\n.B 2\nBad input") != std::string::npos);
}

TEST_CASE("no line of the man page starts with a stray roff control character") {
  CLI::App app;
  vmlab::cli::GlobalOptions g;
  vmlab::cli::setup_app(app, g);
  std::istringstream in(vmlab::cli::man_page(vmlab::cli::command_tree(app)));
  static const char* kMacros[] = {".\\\" ", ".TH ", ".SH ", ".SS ", ".TP",
                                  ".PP",    ".B ",  ".BR ", ".I ",  ".br"};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    bool known = false;
    for (const char* m : kMacros) known = known || line.rfind(m, 0) == 0;
    CHECK_MESSAGE(known, line);
  }
}

TEST_CASE("the man page and completions the build generated are today's") {
  CLI::App app;
  vmlab::cli::GlobalOptions g;
  vmlab::cli::setup_app(app, g);
  const CommandRef tree = vmlab::cli::command_tree(app);
  const std::string gen = std::string(VMLAB_BIN_DIR) + "/generated/";
  const std::pair<std::string, std::string> files[] = {
      {gen + "man/vmlab.1", vmlab::cli::man_page(tree)},
      {gen + "bash-completion/vmlab", vmlab::cli::bash_completion(tree)},
      {gen + "zsh/_vmlab", vmlab::cli::zsh_completion(tree)}};
  for (const auto& [path, text] : files) {
    CAPTURE(path);
    std::ifstream f(path, std::ios::binary);
    REQUIRE_MESSAGE(f.good(), "not generated; build the vmlab_generated target");
    std::stringstream ss;
    ss << f.rdbuf();
    CHECK(ss.str() == text);
  }
}

TEST_CASE("every link name the program answers to is built beside vmlab") {
  for (const auto& l : vmlab::cli::link_names()) {
    CAPTURE(l.link);
    CHECK(vmlab::cli::command_for_name(std::string("/usr/bin/") + l.link) == l.command);
    CHECK(std::filesystem::is_symlink(std::filesystem::path(VMLAB_BIN_DIR) / l.link));
  }
  CHECK(vmlab::cli::command_for_name("vmlab").empty());
  CHECK(vmlab::cli::command_for_name("/x/vmnothing").empty());
}
