// `vmlab __forwarder LAB_ID PROJECT` (hidden): the lab's port forwarder, started detached by
// `up` (executor/forwards.hpp), which reads its readiness answer on fd 3.
#include "cli/command.hpp"
#include "executor/forwards.hpp"

namespace vmlab::cli {

void add_forwarder(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("__forwarder", "the lab's port forwarder");
  cmd->group("");  // hidden
  auto lab_id = std::make_shared<std::string>();
  auto project = std::make_shared<std::string>();
  cmd->add_option("LAB_ID", *lab_id)->required();
  cmd->add_option("PROJECT", *project)->required();
  cmd->callback([&g, project] { g.exit_code = executor::run_forwarder(*project, 3); });
}

}  // namespace vmlab::cli
