#pragma once
// `vmlab ci -- CMD...`: up -> CMD on the host with the lab's facts in its environment ->
// artifacts -> destroy, always (CMD passed or failed, `up` failed, Ctrl-C, SIGTERM from a CI
// runner). The exit status says which of those happened (CiExit) without ever hiding CMD's.
#include <filesystem>
#include <string>
#include <vector>

#include "executor/connect.hpp"
#include "executor/reporter.hpp"
#include "lab/lab.hpp"

namespace vmlab::executor {

// Exit codes of `vmlab ci` besides CMD's own status (0..255, 128+N when signal N ended it;
// 127 not found, 126 not runnable):
inline constexpr int kCiLabFailed = 90;       // the lab did not come up: CMD was not run
inline constexpr int kCiTeardownFailed = 91;  // CMD passed, but the lab could not be destroyed
// Interrupted (SIGINT, SIGTERM) before CMD finished: 128 + the signal (130, 143).

struct CiOptions {
  std::vector<std::string> command;  // argv, run without a shell
  std::filesystem::path artifacts;   // created; existing files in it are replaced
  bool keep_on_failure = false;      // a failed lab stays up (not on Ctrl-C/SIGTERM)
  bool provision = true;             // false: --no-provision
  std::string vmfile;                // as the user named it, for the "how to reach it" lines
};

// Runs the whole cycle and returns the exit code. Installs the signal handlers with
// AbortPolicy::Escalate. Artifacts in opts.artifacts:
//   events.jsonl          every event of the run, one JSON object per line ("t": seconds)
//   command.log           CMD's stdout and stderr, as they came
//   steps/NODE/STEP.log   each provisioning step's output
//   status.json           `vmlab status --json` before the teardown
//   console/NODE.log      each node's serial console
//   system/NODE.log       on failure: the node's last system log lines (journal or dmesg)
//   junit.xml             one test case per node boot, per step and for CMD
int run_ci(lab::Lab& lab, const CiOptions& opts, Reporter& rep,
           const ConnectFn& connect = ssh_connector());

// A run's directory name: UTC time and pid, e.g. 20261201T151233Z-4711.
std::string ci_run_name();

}  // namespace vmlab::executor
