#pragma once
// Runs a user's command on the host (`vmlab ci -- CMD...`): argv as given (never a shell),
// the environment plus `env`, stdin from /dev/null, in a process group of its own (registered
// in core/children.hpp), its stdout and stderr read line by line as they come.
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::communicator {

struct LocalCommand {
  std::vector<std::string> argv;           // argv[0] looked up in PATH unless it has a '/'
  std::map<std::string, std::string> env;  // added to (or replacing in) vmlab's environment
  // One line of output (without its newline); a last line without one is passed too.
  std::function<void(std::string_view line, bool is_stderr)> on_line;
  // Asked about every 100 ms while the command runs: a signal to send to its process group
  // (0: none). Asked again after a signal was sent, so a caller can escalate.
  std::function<int()> poll;
};

// Waits for the command to exit and returns its exit status the way a shell reports it:
// the exit code, 128+N when signal N ended it, 127 when argv[0] is not found, 126 when it
// cannot be run. Output still open after the command exited (a daemon it left holding the
// pipe) is read for one more second, then no longer.
int run_local(const LocalCommand& cmd);

}  // namespace vmlab::communicator
