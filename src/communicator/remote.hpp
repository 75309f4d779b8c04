#pragma once
// What provisioners and commands need from a connected machine: run a command, copy files.
// SshSession implements it; tests may substitute a fake. No Asio/libssh2 types here.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "communicator/ssh_target.hpp"

namespace vmlab::communicator {

// Receives one line of output, without its trailing newline. A last line that lacks a
// newline is delivered when the command ends.
using LineFn = std::function<void(std::string_view line)>;

struct ExecOptions {
  // Exported before the command as `export K='V';` (sshd's AcceptEnv is usually off).
  std::map<std::string, std::string> env;
  // Run as root: `sudo -n -E -- sh -c '<cmd>'`; no wrapping when the login user is root.
  bool sudo = false;
  // 0 = no limit. On expiry the channel (and its connection) is closed and exec throws
  // SshError("... timed out after Ns ..."); the remote process may outlive it.
  std::chrono::milliseconds timeout{0};
  LineFn on_stdout_line;  // called in arrival order, on the calling thread
  LineFn on_stderr_line;
  bool secret = false;              // the command text is redacted in logs and errors
  // When set, logs and errors show this instead of the command text (a long command that
  // carries a file's content, e.g. a shell step's script, is shown by what it does).
  std::string shown_as;
  std::set<std::string> secret_env; // env keys whose values are redacted in logs
};

class Remote {
 public:
  virtual ~Remote() = default;

  // Runs `cmd` through the login shell of the target user and returns its exit status
  // (128+N when killed by signal N). Streams output line by line to the callbacks.
  // Throws SshError when the command cannot be run or times out (not for exit status != 0).
  virtual int exec(const std::string& cmd, const ExecOptions& opts) = 0;

  // Copies a local file or directory (recursively) to `remote` over SFTP, creating missing
  // parent directories. Modes: a file gets `mode` if given, else its local mode; in a
  // directory tree, files get `mode` if given, directories always keep their local mode.
  // Overwrites existing files. Throws SshError naming the path and SFTP status.
  virtual void upload(const std::filesystem::path& local, const std::string& remote,
                      std::optional<int> mode = std::nullopt) = 0;

  // Copies one remote regular file to `local` over SFTP: written to a temporary file beside
  // `local`, then renamed into place (a failed download leaves no partial file), with mode
  // `mode` (default 0600: what is fetched is often a credential, e.g. a kubeconfig). Throws
  // SshError naming the path and SFTP status (NO_SUCH_FILE, PERMISSION_DENIED, ...).
  virtual void download(const std::string& remote, const std::filesystem::path& local,
                        int mode = 0600) = 0;

  virtual const SshTarget& target() const = 0;
};

}  // namespace vmlab::communicator
