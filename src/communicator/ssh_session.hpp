#pragma once
// The SSH communicator, synchronous face: one connection to one machine, used from one
// thread at a time. Internally libssh2 runs non-blocking on a private Boost.Asio event loop
// (see detail/async_session.hpp); for many machines at once use ssh_pool.hpp, which drives
// all sessions on ONE event loop.
//
// Every connection verifies the server's host key against SshTarget::pinned_host_key
// BEFORE authenticating, then authenticates with the private key (publickey only).
// Errors: every public function throws vmlab::SshError whose message is one of the texts in
// failure.hpp (connection refused, timed out, auth failed with key X for user Y, host key
// mismatch with both SHA256 fingerprints, channel/exec failed, SFTP error with path+status).
#include <chrono>
#include <functional>
#include <memory>

#include "communicator/failure.hpp"
#include "communicator/remote.hpp"

namespace vmlab::communicator {

namespace detail {
class AsyncSession;
}

class SshSession final : public Remote {
 public:
  // Connects, verifies the host key, authenticates; all within `timeout`.
  static SshSession connect(const SshTarget& target,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

  SshSession(SshSession&&) noexcept;
  SshSession& operator=(SshSession&&) noexcept;
  ~SshSession() override;  // polite disconnect (bounded), never throws

  // See Remote. If an earlier failure (e.g. a time-out) closed the connection, exec/upload
  // reconnect first (same target, host key checked again).
  int exec(const std::string& cmd, const ExecOptions& opts = {}) override;
  void upload(const std::filesystem::path& local, const std::string& remote,
              std::optional<int> mode = std::nullopt) override;
  void download(const std::string& remote, const std::filesystem::path& local,
                int mode = 0600) override;
  const SshTarget& target() const override;

  // Internal: wraps a session connected elsewhere (wait_ready, the pool).
  struct Impl;
  explicit SshSession(std::unique_ptr<Impl> impl);

 private:
  void drop_after_sftp();  // Dropbear only: see upload()
  std::unique_ptr<Impl> impl_;
};

// One failed attempt of wait_ready().
struct Attempt {
  std::string node;   // target label
  int number = 0;     // 1-based
  FailureKind kind = FailureKind::ProtocolError;
  std::string message;
  std::chrono::milliseconds next_delay{0};  // pause before the next attempt
};
using AttemptFn = std::function<void(const Attempt&)>;

// Retries connect+auth until it succeeds or `deadline` passes; pauses 0.5 s, 1 s, 2 s, then
// 3 s between attempts. HostKeyMismatch and KeyError fail at once (throws that failure's
// message). On the deadline throws SshError:
//   "NODE (HOST:PORT) not reachable over SSH within Ns; last failure (KIND): MESSAGE"
// (callers append the serial console tail). Each attempt is logged at debug.
SshSession wait_ready(const SshTarget& target, std::chrono::steady_clock::time_point deadline,
                      const AttemptFn& on_attempt = {});

// For `vmlab --version`: "libssh2 1.10.0 (compiled against 1.10.0)" (libssh2_version(0) is
// the library loaded at run time, LIBSSH2_VERSION the headers').
std::string libssh2_version_text();

}  // namespace vmlab::communicator
