// `vmlab ci [--artifacts DIR] [--keep-on-failure] [--json] -- CMD...`: brings the lab up, runs
// CMD on the host with the lab's facts in its environment, keeps the evidence and destroys the
// lab, always. The exit status is CMD's; 90: the lab did not come up; 91: only the teardown
// failed; 128+N: interrupted by signal N. Bad input: 2, before anything is created.
#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "core/error.hpp"
#include "executor/ci.hpp"
#include "executor/lab_ops.hpp"
#include "state/filenames.hpp"

namespace vmlab::cli {

void add_ci(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "ci", "Up, run a command against the lab, collect artifacts, destroy the lab (always)");
  struct Opts {
    std::string artifacts;
    bool keep_on_failure = false;
    bool json = false;
    bool no_provision = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--artifacts", o->artifacts,
                  "where the run's evidence goes (default: .vmlab/artifacts/<run>)");
  cmd->add_flag("--keep-on-failure", o->keep_on_failure,
                "leave a failed lab up for debugging (says how to reach and remove it)");
  cmd->add_flag("--no-provision", o->no_provision, "create and start only");
  cmd->add_flag("--json", o->json, "one JSON event per line for the whole run");
  cmd->footer(
      "The command follows `--` and runs on the host, without a shell, with VMLAB_SSH_CONFIG,\n"
      "VMLAB_INVENTORY, VMLAB_LAB_ID, VMLAB_LAB, VMLAB_PROJECT_DIR, VMLAB_ARTIFACTS and, when\n"
      "the lab has Kubernetes, KUBECONFIG in its environment.\n"
      "Exit status: the command's; 90 the lab did not come up (the command did not run);\n"
      "91 the command passed but the teardown failed; 128+N interrupted by signal N (130 Ctrl-C,\n"
      "143 SIGTERM); 2 bad input. Ctrl-C/SIGTERM: passed to the command, then the lab is\n"
      "destroyed; a second one kills the command; a third exits at once.");
  cmd->callback([&g, o] {
    if (g.after_dashes.empty())
      throw UsageError("ci needs a command after `--`, e.g. `vmlab ci -- ./run-tests.sh`");
    Lab lab = open_lab(g);  // a bad Vmfile stops here (exit 2): nothing is created
    executor::CiOptions opts;
    opts.command = g.after_dashes;
    opts.artifacts = o->artifacts.empty()
                         ? filenames::artifacts_dir(lab.topo.project_dir) / executor::ci_run_name()
                         : std::filesystem::path(o->artifacts);
    opts.artifacts = std::filesystem::absolute(opts.artifacts);
    opts.keep_on_failure = o->keep_on_failure;
    opts.provision = !o->no_provision;
    opts.vmfile = g.vmfile;
    executor::Reporter rep(o->json, executor::node_names(lab.topo));
    g.exit_code = executor::run_ci(lab, opts, rep);
  });
}

}  // namespace vmlab::cli
