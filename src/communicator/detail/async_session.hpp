#pragma once
// INTERNAL to src/communicator: one SSH connection driven by libssh2 in non-blocking mode on
// a Boost.Asio io_context. Every libssh2 call that returns LIBSSH2_ERROR_EAGAIN is retried
// after an async_wait on the socket in the direction libssh2_session_block_directions()
// names, so any number of sessions share one thread. Operations are coroutines; they report
// failures as values (Failure), never throw for SSH problems. Not thread-safe: use a session
// only from the thread running its io_context.
#include <utility>  // Boost 1.74 Asio needs std::exchange declared first (GCC 12)

// GCC 12 misreports Asio's coroutine frame allocator (operator new/delete pair) as mismatched.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "communicator/failure.hpp"
#include "communicator/remote.hpp"
#include "communicator/ssh_target.hpp"

namespace vmlab::communicator::detail {
namespace asio = boost::asio;
template <typename T>
using Task = asio::awaitable<T>;

// A value or the failure that prevented it.
template <typename T>
struct Outcome {
  std::optional<T> value;
  Failure failure{FailureKind::ProtocolError, ""};
  bool ok() const { return value.has_value(); }
};

// libssh2_init() once per process (thread-safe).
void global_init();

class AsyncSession {
 public:
  AsyncSession(asio::io_context& io, SshTarget target);
  ~AsyncSession();
  AsyncSession(const AsyncSession&) = delete;
  AsyncSession& operator=(const AsyncSession&) = delete;

  // TCP connect, SSH handshake, host key check against the pinned key (before any
  // authentication), publickey auth. nullopt on success. On failure nothing stays open.
  Task<std::optional<Failure>> connect(std::chrono::milliseconds timeout);

  // Runs the already composed `wire` command; `shown` is its redacted form for logs/errors.
  Task<Outcome<int>> exec(std::string wire, std::string shown, ExecOptions opts);

  // SFTP upload (see Remote::upload for the contract). Implemented in sftp_upload.cpp.
  Task<std::optional<Failure>> upload(std::filesystem::path local, std::string remote,
                                      std::optional<int> mode);

  // SFTP download of one file (see Remote::download). Implemented in sftp_download.cpp.
  Task<std::optional<Failure>> download(std::string remote, std::filesystem::path local, int mode);

  // Polite SSH disconnect (bounded to 2 s), then abort().
  Task<void> disconnect();
  // Immediate teardown: shuts the socket down and frees every libssh2 resource.
  void abort();

  bool connected() const { return session_ != nullptr; }
  // The server's identification string ("SSH-2.0-OpenSSH_9.2p1 ..."); empty when not connected.
  std::string server_banner() const;
  const SshTarget& target() const { return t_; }

 private:
  struct Watch {
    bool expired = false;
    unsigned gen = 0;
    asio::ip::tcp::socket* sock = nullptr;
  };

  // Waits until the socket is ready in the direction libssh2 is blocked on. False when the
  // watchdog expired or the socket failed.
  Task<bool> wait_io();

  // Calls f() until it returns something other than LIBSSH2_ERROR_EAGAIN.
  // Returns LIBSSH2_ERROR_TIMEOUT when waiting failed (see timed_out()).
  template <typename F>
  Task<long> retry(F f) {
    for (;;) {
      long rc = f();
      if (rc != LIBSSH2_ERROR_EAGAIN) co_return rc;
      if (!co_await wait_io()) co_return LIBSSH2_ERROR_TIMEOUT;
    }
  }

  // Same for libssh2 calls that return a pointer (NULL + last errno EAGAIN = retry).
  template <typename F>
  auto retry_ptr(F f) -> Task<decltype(f())> {
    for (;;) {
      auto p = f();
      if (p) co_return p;
      if (libssh2_session_last_errno(session_) != LIBSSH2_ERROR_EAGAIN) co_return nullptr;
      if (!co_await wait_io()) co_return nullptr;
    }
  }

  // Watchdog: after `d`, timed_out() becomes true and pending socket waits are cancelled.
  void arm(std::chrono::milliseconds d);
  void disarm();
  bool timed_out() const { return watch_->expired; }
  std::string last_error() const;
  int socket_error();  // SO_ERROR of the socket (a keepalive that timed out: ETIMEDOUT)

  // SFTP helpers (sftp_upload.cpp).
  Task<std::optional<Failure>> sftp_mkdir_p(LIBSSH2_SFTP* sftp, const std::string& dir);
  Task<std::optional<Failure>> sftp_put_file(LIBSSH2_SFTP* sftp,
                                             const std::filesystem::path& local,
                                             const std::string& remote, int mode);
  Failure sftp_failure(LIBSSH2_SFTP* sftp, const std::string& what, const std::string& path,
                       bool download = false);

  asio::io_context& io_;
  SshTarget t_;
  asio::ip::tcp::socket sock_;
  asio::steady_timer timer_;
  std::shared_ptr<Watch> watch_;
  LIBSSH2_SESSION* session_ = nullptr;
};

}  // namespace vmlab::communicator::detail
