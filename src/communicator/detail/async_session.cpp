#include "communicator/detail/async_session.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <map>
#include <mutex>

#include "communicator/command.hpp"
#include "communicator/keys.hpp"
#include "core/log.hpp"

namespace vmlab::communicator::detail {
namespace {

using namespace std::chrono_literals;
constexpr auto kUseEc = [](boost::system::error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
};

double seconds(std::chrono::milliseconds d) {
  return static_cast<double>(d.count() / 100) / 10.0;  // 0.1 s resolution
}

int signal_number(const std::string& name) {
  static const std::map<std::string, int> kSignals = {
      {"HUP", 1}, {"INT", 2}, {"QUIT", 3}, {"ILL", 4}, {"ABRT", 6}, {"FPE", 8}, {"KILL", 9},
      {"USR1", 10}, {"SEGV", 11}, {"USR2", 12}, {"PIPE", 13}, {"ALRM", 14}, {"TERM", 15}};
  auto it = kSignals.find(name);
  return it == kSignals.end() ? 127 : it->second;
}

// Frees a channel on every exit path unless the whole session went away first.
struct ChannelGuard {
  LIBSSH2_SESSION* const* session;
  LIBSSH2_CHANNEL* ch;
  ~ChannelGuard() {
    if (ch && *session) libssh2_channel_free(ch);  // best effort; session_free reaps the rest
  }
};

}  // namespace

// A machine that disappears under a session (its QEMU killed, its network gone) answers
// nothing, and a read would wait forever: TCP keepalive probes after 30 s of silence, every
// 10 s, 9 unanswered = dead (~2 min); unacknowledged data times out after the same 2 min. The
// guest's kernel answers the probes, so a long quiet command is not affected.
static constexpr int kKeepIdleS = 30, kKeepIntervalS = 10, kKeepCount = 9;
static constexpr int kDeadAfterS = kKeepIdleS + kKeepIntervalS * kKeepCount;

static void set_keepalive(int fd) {
  const int on = 1, idle = kKeepIdleS, intvl = kKeepIntervalS, cnt = kKeepCount;
  const unsigned user_timeout_ms = kDeadAfterS * 1000u;
  ::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
  ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
  ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms, sizeof user_timeout_ms);
}

// libssh2's text for a failed read or write, with what a timed-out socket means.
static std::string io_failure(const std::string& libssh2_text, int err) {
  if (err != ETIMEDOUT) return libssh2_text;
  return fmt::format(
      "{} (no answer from the machine for {} s: it stopped, or its network went away)",
      libssh2_text, kDeadAfterS);
}

// The pending error of the session's socket (SO_ERROR), 0 if none.
int AsyncSession::socket_error() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(sock_.native_handle(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  return err;
}

void global_init() {
  static std::once_flag once;
  // No SIGPIPE handling needed: libssh2 sends with MSG_NOSIGNAL unless LIBSSH2_FLAG_SIGPIPE.
  std::call_once(once, [] { libssh2_init(0); });
}

AsyncSession::AsyncSession(asio::io_context& io, SshTarget target)
    : io_(io), t_(std::move(target)), sock_(io), timer_(io), watch_(std::make_shared<Watch>()) {
  global_init();
  watch_->sock = &sock_;
}

AsyncSession::~AsyncSession() {
  abort();
  watch_->sock = nullptr;
  ++watch_->gen;
}

void AsyncSession::arm(std::chrono::milliseconds d) {
  unsigned gen = ++watch_->gen;
  watch_->expired = false;
  if (d.count() <= 0) return;
  timer_.expires_after(d);
  timer_.async_wait([w = watch_, gen](const boost::system::error_code& ec) {
    if (ec || w->gen != gen) return;
    w->expired = true;
    if (w->sock) {
      boost::system::error_code ignored;
      w->sock->cancel(ignored);
    }
  });
}

void AsyncSession::disarm() {
  ++watch_->gen;
  timer_.cancel();
}

std::string AsyncSession::server_banner() const {
  if (!session_) return {};
  const char* b = libssh2_session_banner_get(session_);
  return b ? b : "";
}

std::string AsyncSession::last_error() const {
  if (!session_) return "not connected";
  char* msg = nullptr;
  int len = 0;
  int code = libssh2_session_last_error(session_, &msg, &len, 0);
  std::string text = (msg && len > 0) ? std::string(msg, static_cast<std::size_t>(len)) : "";
  if (text.empty()) text = "libssh2 error " + std::to_string(code);
  return text;
}

Task<bool> AsyncSession::wait_io() {
  if (watch_->expired || !session_) co_return false;
  int dir = libssh2_session_block_directions(session_);
  auto what = (dir & LIBSSH2_SESSION_BLOCK_OUTBOUND) ? asio::ip::tcp::socket::wait_write
                                                     : asio::ip::tcp::socket::wait_read;
  boost::system::error_code ec;
  co_await sock_.async_wait(what, kUseEc(ec));
  co_return !ec && !watch_->expired;
}

void AsyncSession::abort() {
  boost::system::error_code ec;
  if (session_) {
    sock_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    libssh2_session_free(session_);  // non-blocking; the dead socket makes every send fail fast
    session_ = nullptr;
  }
  sock_.close(ec);
}

Task<void> AsyncSession::disconnect() {
  if (session_) {
    arm(2s);
    co_await retry([this] { return libssh2_session_disconnect(session_, "vmlab: bye"); });
    disarm();
  }
  abort();
}

Task<std::optional<Failure>> AsyncSession::connect(std::chrono::milliseconds timeout) {
  abort();
  const std::string who = describe(t_);
  arm(timeout);
  auto fail = [&](FailureKind k, std::string m) -> std::optional<Failure> {
    disarm();
    abort();
    log::debug("ssh", "{}: connect failed: {}", who, m);
    return Failure{k, std::move(m)};
  };
  auto timeout_fail = [&] {
    return fail(FailureKind::Timeout, msg::connect_timeout(t_, seconds(timeout)));
  };

  boost::system::error_code ec;
  asio::ip::tcp::endpoint ep;
  auto addr = asio::ip::make_address(t_.host, ec);
  if (!ec) {
    ep = {addr, static_cast<unsigned short>(t_.port)};
  } else {
    asio::ip::tcp::resolver resolver(io_);
    auto found = resolver.resolve(t_.host, std::to_string(t_.port), ec);
    if (ec || found.empty())
      co_return fail(FailureKind::Unreachable, msg::unreachable(t_, "cannot resolve " + t_.host));
    ep = *found.begin();
  }
  log::debug("ssh", "{}: tcp connect", who);
  co_await sock_.async_connect(ep, kUseEc(ec));
  if (watch_->expired) co_return timeout_fail();
  if (ec == asio::error::connection_refused)
    co_return fail(FailureKind::ConnectionRefused, msg::connection_refused(t_));
  if (ec) co_return fail(FailureKind::Unreachable, msg::unreachable(t_, ec.message()));
  sock_.set_option(asio::ip::tcp::no_delay(true), ec);
  set_keepalive(sock_.native_handle());

  session_ = libssh2_session_init_ex(nullptr, nullptr, nullptr, this);
  if (!session_) co_return fail(FailureKind::ProtocolError, msg::handshake_failed(t_, "out of memory"));
  libssh2_session_set_blocking(session_, 0);
  // Ask for the pinned key's type: a server with several host keys (a Vagrant box's
  // `ssh-keygen -A`) would otherwise show libssh2's first choice (ECDSA), not the pinned one.
  if (auto want = parse_public_key(t_.pinned_host_key))
    libssh2_session_method_pref(session_, LIBSSH2_METHOD_HOSTKEY, want->type.c_str());
  log::debug("ssh", "{}: handshake", who);
  long rc = co_await retry([this] { return libssh2_session_handshake(session_, sock_.native_handle()); });
  if (watch_->expired) co_return timeout_fail();
  if (rc != 0) co_return fail(FailureKind::ProtocolError, msg::handshake_failed(t_, last_error()));

  // Host key BEFORE authentication: never offer our key to an impostor.
  std::size_t len = 0;
  int type = 0;
  const char* key = libssh2_session_hostkey(session_, &len, &type);
  std::string blob = key ? std::string(key, len) : std::string();
  std::string got = fingerprint_sha256(blob);
  auto pinned = parse_public_key(t_.pinned_host_key);
  if (!pinned) co_return fail(FailureKind::HostKeyMismatch, msg::host_key_not_pinned(t_, got));
  if (!host_key_matches(t_.pinned_host_key, blob, type))
    co_return fail(FailureKind::HostKeyMismatch,
                   msg::host_key_mismatch(t_, fingerprint_sha256(pinned->blob), got));
  log::debug("ssh", "{}: host key {} {} matches the pinned key", who, host_key_type_name(type), got);

  std::error_code fec;
  if (!std::filesystem::is_regular_file(t_.private_key, fec))
    co_return fail(FailureKind::KeyError, msg::key_unusable(t_, "file not found"));
  std::string priv = t_.private_key.string();
  std::string pub = priv + ".pub";
  bool have_pub = std::filesystem::is_regular_file(pub, fec);
  log::debug("ssh", "{}: publickey auth as {} with {}", who, t_.user, priv);
  rc = co_await retry([&] {
    return libssh2_userauth_publickey_fromfile_ex(session_, t_.user.c_str(),
                                                  static_cast<unsigned>(t_.user.size()),
                                                  have_pub ? pub.c_str() : nullptr, priv.c_str(),
                                                  "");
  });
  if (watch_->expired) co_return timeout_fail();
  if (rc == LIBSSH2_ERROR_FILE)
    co_return fail(FailureKind::KeyError, msg::key_unusable(t_, last_error()));
  if (rc == LIBSSH2_ERROR_AUTHENTICATION_FAILED || rc == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED)
    co_return fail(FailureKind::AuthFailed, msg::auth_failed(t_));
  if (rc != 0) co_return fail(FailureKind::ProtocolError, msg::connection_lost(t_, last_error()));
  disarm();
  log::debug("ssh", "{}: connected", who);
  co_return std::nullopt;
}

Task<Outcome<int>> AsyncSession::exec(std::string wire, std::string shown, ExecOptions opts) {
  Outcome<int> out;
  if (!session_) {
    out.failure = {FailureKind::ChannelFailed, msg::channel_failed(t_, "not connected")};
    co_return out;
  }
  log::debug("ssh", "{}: exec: {}", describe(t_), shown);
  arm(opts.timeout);
  auto fail = [&](FailureKind k, const std::string& what) {
    bool expired = watch_->expired;
    std::string m = expired ? msg::exec_timeout(t_, seconds(opts.timeout), shown)
                            : (k == FailureKind::ChannelFailed ? msg::channel_failed(t_, what)
                                                               : msg::connection_lost(t_, what));
    out.failure = {expired ? FailureKind::Timeout : k, m};
    disarm();
    abort();  // a half-finished channel leaves the connection unusable
    log::debug("ssh", "{}", m);
    return out;
  };

  LIBSSH2_CHANNEL* ch = co_await retry_ptr([this] { return libssh2_channel_open_session(session_); });
  if (!ch) co_return fail(FailureKind::ChannelFailed, "cannot open a channel: " + last_error());
  ChannelGuard guard{&session_, ch};
  long rc = co_await retry([&] {
    return libssh2_channel_process_startup(ch, "exec", 4, wire.data(),
                                           static_cast<unsigned>(wire.size()));
  });
  if (rc != 0) co_return fail(FailureKind::ChannelFailed, "exec request failed: " + last_error());
  rc = co_await retry([&] { return libssh2_channel_send_eof(ch); });
  if (rc != 0) co_return fail(FailureKind::ProtocolError, last_error());

  LineSplitter out_lines(opts.on_stdout_line), err_lines(opts.on_stderr_line);
  char buf[16384];
  for (;;) {
    if (watch_->expired) co_return fail(FailureKind::Timeout, "timed out");
    bool eof = libssh2_channel_eof(ch) != 0;  // checked first: then drain what came before it
    bool progress = false;
    for (int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
      for (;;) {
        ssize_t n = libssh2_channel_read_ex(ch, stream, buf, sizeof buf);
        if (n > 0) {
          (stream == 0 ? out_lines : err_lines).feed(std::string_view(buf, static_cast<std::size_t>(n)));
          progress = true;
          continue;
        }
        if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) break;
        co_return fail(FailureKind::ProtocolError, io_failure(last_error(), errno));
      }
    }
    if (eof) break;
    if (progress) continue;
    // Reading one stream may have pulled the other stream's data (or the EOF) off the
    // socket into libssh2's queue: only wait for the socket when nothing is queued.
    unsigned long queued = 0;
    libssh2_channel_window_read_ex(ch, &queued, nullptr);
    if (queued > 0 || libssh2_channel_eof(ch)) continue;
    if (!co_await wait_io())
      co_return fail(FailureKind::ProtocolError, io_failure("connection closed", socket_error()));
  }
  out_lines.flush();
  err_lines.flush();
  rc = co_await retry([&] { return libssh2_channel_close(ch); });
  if (rc == 0) rc = co_await retry([&] { return libssh2_channel_wait_closed(ch); });
  if (rc != 0) co_return fail(FailureKind::ProtocolError, last_error());
  int status = libssh2_channel_get_exit_status(ch);
  char* sig = nullptr;
  std::size_t sig_len = 0;
  libssh2_channel_get_exit_signal(ch, &sig, &sig_len, nullptr, nullptr, nullptr, nullptr);
  if (sig) {
    status = 128 + signal_number(std::string(sig, sig_len));
    libssh2_free(session_, sig);
  }
  guard.ch = nullptr;
  co_await retry([&] { return libssh2_channel_free(ch); });
  disarm();
  log::debug("ssh", "{}: exit status {}", describe(t_), status);
  out.value = status;
  co_return out;
}

}  // namespace vmlab::communicator::detail
