#include "communicator/ssh_session.hpp"

#include <fmt/format.h>
#include <libssh2.h>

#include "communicator/command.hpp"
#include "communicator/detail/run.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::communicator {
using namespace std::chrono_literals;

struct SshSession::Impl {
  boost::asio::io_context io;
  std::unique_ptr<detail::AsyncSession> s;
  std::chrono::milliseconds connect_timeout{30s};

  void ensure_connected(const SshTarget& t) {
    if (s && s->connected()) return;
    if (!s) s = std::make_unique<detail::AsyncSession>(io, t);
    log::debug("ssh", "{}: (re)connecting", describe(t));
    auto f = detail::run_sync(io, s->connect(connect_timeout));
    if (f) throw SshError(f->message);
  }
};

SshSession::SshSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SshSession::SshSession(SshSession&&) noexcept = default;
SshSession& SshSession::operator=(SshSession&&) noexcept = default;

SshSession::~SshSession() {
  if (!impl_ || !impl_->s) return;
  try {
    detail::run_sync(impl_->io, impl_->s->disconnect());
  } catch (...) {  // a destructor must not throw; abort() below still frees everything
  }
  impl_->s.reset();
}

SshSession SshSession::connect(const SshTarget& target, std::chrono::milliseconds timeout) {
  auto impl = std::make_unique<Impl>();
  impl->connect_timeout = timeout;
  impl->ensure_connected(target);
  return SshSession(std::move(impl));
}

const SshTarget& SshSession::target() const { return impl_->s->target(); }

int SshSession::exec(const std::string& cmd, const ExecOptions& opts) {
  const SshTarget& t = target();
  std::string wire = compose_command(cmd, opts, t.user);
  std::string shown = display_command(cmd, opts, t.user);
  impl_->ensure_connected(t);
  auto r = detail::run_sync(impl_->io, impl_->s->exec(wire, shown, opts));
  if (!r.ok()) throw SshError(r.failure.message);
  return *r.value;
}

void SshSession::upload(const std::filesystem::path& local, const std::string& remote,
                        std::optional<int> mode) {
  impl_->ensure_connected(target());
  auto f = detail::run_sync(impl_->io, impl_->s->upload(local, remote, mode));
  if (f) throw SshError(f->message);
  // Dropbear 2022.83 (Debian 12, and our test box) can kill a connection whose next channel
  // request races with the exit of the SFTP server child (mkj/dropbear#321, fixed in
  // 2024.86): the exec after an upload then fails with "Failed waiting for channel success",
  // possibly after the command started. The next call uses a fresh connection instead, for
  // Dropbear only: a new connection is a whole handshake (about a second under TCG).
  drop_after_sftp();
}

void SshSession::drop_after_sftp() {
  if (impl_->s->server_banner().find("dropbear") != std::string::npos)
    detail::run_sync(impl_->io, impl_->s->disconnect());
}

void SshSession::download(const std::string& remote, const std::filesystem::path& local, int mode) {
  impl_->ensure_connected(target());
  auto f = detail::run_sync(impl_->io, impl_->s->download(remote, local, mode));
  if (f) throw SshError(f->message);
  drop_after_sftp();  // dropbear #321: see upload()
}

SshSession wait_ready(const SshTarget& target, std::chrono::steady_clock::time_point deadline,
                      const AttemptFn& on_attempt) {
  auto impl = std::make_unique<SshSession::Impl>();
  auto r = detail::run_sync(impl->io, detail::wait_ready_async(impl->io, target, deadline, on_attempt));
  if (!r.ok()) throw SshError(r.failure.message);
  impl->s = std::move(*r.value);
  return SshSession(std::move(impl));
}

std::string libssh2_version_text() {
  const char* runtime = libssh2_version(0);
  return fmt::format("libssh2 {} (compiled against {})", runtime ? runtime : "unknown",
                     LIBSSH2_VERSION);
}

}  // namespace vmlab::communicator
