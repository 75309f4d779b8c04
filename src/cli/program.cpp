#include "cli/program.hpp"

#include <fmt/format.h>

#include "communicator/ssh_session.hpp"
#include "core/settings.hpp"
#include "providers/registry/registry.hpp"

namespace vmlab::cli {

std::span<const LinkName> link_names() {
  static constexpr LinkName kLinks[] = {{"vmup", "up"},           {"vmssh", "ssh"},
                                        {"vmstatus", "status"},   {"vmhalt", "halt"},
                                        {"vmdestroy", "destroy"}, {"vmprovision", "provision"}};
  return kLinks;
}

std::string command_for_name(const std::string& argv0) {
  const auto slash = argv0.find_last_of('/');
  const std::string base = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  for (const auto& l : link_names())
    if (base == l.link) return l.command;
  return "";
}

std::string version_text() {
  std::string out = fmt::format("vmlab {}", VMLAB_VERSION);
  for (const auto& p : providers::provider_table())
    if (p.library_version) out += "\n" + p.library_version();
  out += "\n" + communicator::libssh2_version_text();
  return out;
}

void setup_app(CLI::App& app, GlobalOptions& g) {
  app.name("vmlab");
  app.description("vmlab: declarative multi-node virtual machine labs from a Vmfile");
  app.set_version_flag("--version", &version_text);
  app.require_subcommand(1);
  app.fallthrough();
  app.footer(settings::help_text());  // the environment variables vmlab reads
  add_all_commands(app, g);
}

}  // namespace vmlab::cli
