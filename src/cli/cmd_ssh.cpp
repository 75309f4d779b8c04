// `vmlab ssh NODE [-c CMD] [-- SSH-ARGS...]` (also `vmssh`): an interactive shell through the
// system `ssh` with the lab's generated config (lab key, pinned host key, strict checking),
// or, with -c, one command run over the communicator, returning its exit status.
#include <fmt/format.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "executor/access.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::cli {
namespace {

struct Opts {
  std::string node;
  std::string command;
};

void run_ssh(GlobalOptions& g, const Opts& o) {
  Lab lab = open_lab(g);
  const config::Node* node = lab.topo.find_node(o.node);
  if (!node) {
    std::string names;
    for (const auto& n : lab.topo.nodes) names += (names.empty() ? "" : ", ") + n.name;
    throw UsageError(fmt::format("no node named \"{}\" (nodes: {})", o.node, names));
  }
  auto eps = executor::running_endpoints(lab);
  auto it = eps.find(o.node);
  if (it == eps.end()) throw Error("{} is not running (run `vmlab up {}`)", o.node, o.node);
  if (!o.command.empty()) {
    auto session = communicator::SshSession::connect(executor::ssh_target(lab, *node, it->second),
                                                     std::chrono::seconds(10));
    communicator::ExecOptions eo;
    eo.on_stdout_line = [](std::string_view l) { fmt::print("{}\n", l); };
    eo.on_stderr_line = [](std::string_view l) { fmt::print(stderr, "{}\n", l); };
    g.exit_code = session.exec(o.command, eo);
    return;
  }
  const auto cfg = filenames::ssh_config(lab.topo.project_dir);
  state::write_file_atomic(cfg, executor::ssh_config_text(lab, eps), 0600);
  std::vector<std::string> args{"ssh", "-F", cfg.string()};
  for (const auto& a : g.after_dashes) args.push_back(a);
  args.push_back(o.node);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::signal(SIGPIPE, SIG_DFL);  // ignored by vmlab (main.cpp), not by the ssh it becomes
  execvp("ssh", argv.data());
  throw Error("cannot run ssh: {} (install openssh-client)", std::strerror(errno));
}

}  // namespace

void add_ssh(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("ssh", "Open a shell on a node, or run one command (-c)");
  auto o = std::make_shared<Opts>();
  cmd->add_option("node", o->node, "node name")->required();
  cmd->add_option("-c,--command", o->command, "run this command and exit with its status");
  cmd->callback([&g, o] { run_ssh(g, *o); });
}

}  // namespace vmlab::cli
