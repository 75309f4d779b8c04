#pragma once
// The one seam between vmlab and VirtualBox: every VBoxManage call goes through VBoxManage::run.
// - Program: $VMLAB_VBOXMANAGE if set (tests point it at tests/vboxmanage-sim), else
//   `VBoxManage` on PATH. Arguments are a vector (never a shell string); env LANG=C, LC_ALL=C.
// - "VBoxManage: error:" on stderr is a failure even when the exit code is 0.
// - The documented lock-busy errors (VBOX_E_INVALID_OBJECT_STATE, "is already locked for a
//   session") are retried with backoff, at most kMaxTries times.
// - Every call is logged at debug (category "vbox") with its argv.
// - version() probes `--version` once; check_version() refuses versions below 6.1.
// Thread-safe: calls from several threads run concurrently.
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "providers/virtualbox/vbox_parse.hpp"

namespace vmlab::vbox {

struct CallOutput {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs a program (argv[0] looked up on PATH unless it contains '/') with LANG=C; captures
// stdout and stderr. Failure only when it cannot be started.
Result<CallOutput> run_program(const std::string& program, const std::vector<std::string>& args);

// True when `err` holds one of the lock-busy errors VirtualBox documents as transient.
bool is_lock_busy(const std::string& err);

class VBoxManage {
 public:
  static constexpr int kMaxTries = 5;
  static Version minimum() { return {6, 1, 0, "6.1"}; }

  VBoxManage();  // resolves the program from $VMLAB_VBOXMANAGE / PATH

  // Runs one call; failure carries "VBoxManage ARGS failed: <error lines>". The output is
  // returned on success (stdout and stderr).
  Result<CallOutput> run(const std::vector<std::string>& args) const;
  // Like run(), but returns stdout only.
  Result<std::string> out(const std::vector<std::string>& args) const;

  // The installed version (probed once; later calls return the cached value).
  Result<Version> version();
  // Fails when VBoxManage is missing or older than kMinimum; newer versions are accepted.
  Status check_version();

  const std::string& program() const { return program_; }

 private:
  std::string program_;
  std::mutex mu_;
  std::optional<Result<Version>> version_;
};

}  // namespace vmlab::vbox
