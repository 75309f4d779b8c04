#pragma once
// Many SSH sessions at once on ONE event loop in the calling thread (no thread per node):
// used by `vmlab exec all` and by the executor to wait for many nodes together.
// Neither function throws for a node's failure: each result carries its own error text.
#include <chrono>
#include <string>
#include <vector>

#include "communicator/remote.hpp"
#include "communicator/ssh_session.hpp"

namespace vmlab::communicator {

struct OutputLine {
  bool is_stderr = false;
  std::string text;
};

struct Job {
  SshTarget target;
  std::string command;
  ExecOptions options;  // callbacks run on the calling thread as lines arrive
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
};

struct JobResult {
  bool ok = false;        // connected and the command ran to completion (any exit status)
  int exit_status = -1;   // meaningful when ok
  std::string error;      // when !ok: the failure text (failure.hpp)
  std::vector<OutputLine> lines;  // every output line, both streams, in arrival order
  std::chrono::milliseconds elapsed{0};
};

// Runs every job concurrently (at most `max_parallel` at a time; 0 = no limit); returns one
// result per job, in job order. Each job uses its own connection, closed afterwards.
std::vector<JobResult> run_parallel(const std::vector<Job>& jobs, std::size_t max_parallel = 0);

struct ReadyResult {
  bool ok = false;
  std::string error;  // wait_ready()'s failure text when !ok
};

// wait_ready() for every target at once on one event loop; connections are closed again.
std::vector<ReadyResult> wait_ready_all(const std::vector<SshTarget>& targets,
                                        std::chrono::steady_clock::time_point deadline,
                                        const AttemptFn& on_attempt = {});

}  // namespace vmlab::communicator
