// `vmlab exec NODE...|all -- CMD`: runs a command on many nodes at once (one event loop),
// output prefixed per node; exit status 1 if any node failed or returned non-zero.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "communicator/ssh_pool.hpp"
#include "core/error.hpp"
#include "executor/access.hpp"
#include "executor/reporter.hpp"
#include "plan/plan.hpp"

namespace vmlab::cli {
namespace {

struct Opts {
  std::vector<std::string> words;  // NODE... -- CMD...
  bool json = false;
  bool sudo = false;
};

void run_exec(GlobalOptions& g, const Opts& o, const std::vector<std::string>& after_dashes) {
  std::vector<std::string> nodes = o.words;
  if (after_dashes.empty()) throw UsageError("usage: vmlab exec NODE...|all -- COMMAND");
  std::string cmd;
  for (const auto& w : after_dashes) cmd += (cmd.empty() ? "" : " ") + w;
  Lab lab = open_lab(g);
  if (nodes.empty()) throw UsageError("name the nodes to run on, or `all`");
  if (nodes.size() == 1 && nodes[0] == "all") {
    nodes.clear();
    for (const auto& n : lab.topo.nodes) nodes.push_back(n.name);
  }
  plan::check_selection(lab.topo, nodes);
  auto eps = executor::running_endpoints(lab);
  std::vector<communicator::Job> jobs;
  std::vector<std::string> job_nodes;
  executor::Reporter rep(o.json, nodes);
  bool ok = true;
  for (const auto& n : nodes) {
    auto it = eps.find(n);
    if (it == eps.end()) {
      rep.event(n, "error", "not running");
      ok = false;
      continue;
    }
    communicator::Job job;
    job.target = executor::ssh_target(lab, *lab.topo.find_node(n), it->second);
    job.command = cmd;
    job.options.sudo = o.sudo;
    job.options.on_stdout_line = [&rep, n](std::string_view l) { rep.output(n, std::string(l), false); };
    job.options.on_stderr_line = [&rep, n](std::string_view l) { rep.output(n, std::string(l), true); };
    job.connect_timeout = std::chrono::seconds(15);
    jobs.push_back(std::move(job));
    job_nodes.push_back(n);
  }
  auto results = communicator::run_parallel(jobs);
  std::vector<std::string> bad;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    if (!r.ok) bad.push_back(fmt::format("{}: {}", job_nodes[i], r.error));
    else if (r.exit_status != 0) bad.push_back(fmt::format("{}: exit status {}", job_nodes[i], r.exit_status));
  }
  if (!bad.empty()) {
    ok = false;
    rep.summary(false, bad);
  }
  g.exit_code = ok ? 0 : 1;
}

}  // namespace

void add_exec(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("exec", "Run a command on several nodes at once: exec NODE...|all -- CMD");
  auto o = std::make_shared<Opts>();
  cmd->add_option("nodes", o->words, "nodes, or `all`");
  cmd->add_flag("--json", o->json, "one JSON event per line");
  cmd->add_flag("--sudo", o->sudo, "run the command as root");
  cmd->callback([&g, o] { run_exec(g, *o, g.after_dashes); });
}

}  // namespace vmlab::cli
