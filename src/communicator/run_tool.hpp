#pragma once
// The one seam through which the SSH layer runs local tools (ssh-keygen): Boost.Process with
// an argv vector (never a shell), stdout and stderr captured. Logged at debug.
#include <string>
#include <vector>

namespace vmlab::communicator {

struct ToolResult {
  int exit_code = -1;  // -1: could not be started (err says why)
  std::string out;
  std::string err;
};

// Runs `program` (looked up in PATH unless it contains a '/') with `args`; waits for it.
ToolResult run_tool(const std::string& program, const std::vector<std::string>& args);

}  // namespace vmlab::communicator
