// SFTP upload for AsyncSession: files and directory trees, parents created, modes set.
#include <fstream>

#include "communicator/detail/async_session.hpp"
#include "core/log.hpp"

namespace vmlab::communicator::detail {
namespace fs = std::filesystem;
namespace {

int local_mode(const fs::path& p) {
  std::error_code ec;
  return static_cast<int>(fs::status(p, ec).permissions()) & 07777;
}

std::string parent_of(const std::string& remote) {
  auto pos = remote.find_last_of('/');
  if (pos == std::string::npos || pos == 0) return "";
  return remote.substr(0, pos);
}

struct SftpGuard {
  LIBSSH2_SESSION* const* session;
  LIBSSH2_SFTP* sftp;
  ~SftpGuard() {
    if (sftp && *session) libssh2_sftp_shutdown(sftp);  // best effort
  }
};

}  // namespace

Failure AsyncSession::sftp_failure(LIBSSH2_SFTP* sftp, const std::string& what,
                                   const std::string& path, bool download) {
  std::string status;
  if (watch_->expired)
    status = "timed out";
  else if (session_ && libssh2_session_last_errno(session_) == LIBSSH2_ERROR_SFTP_PROTOCOL && sftp)
    status = sftp_status_name(libssh2_sftp_last_error(sftp));
  else
    status = last_error();
  return Failure{FailureKind::SftpError, msg::sftp_failed(t_, what, path, status, download)};
}

Task<std::optional<Failure>> AsyncSession::sftp_mkdir_p(LIBSSH2_SFTP* sftp, const std::string& dir) {
  std::string prefix;
  std::size_t i = 0;
  while (i <= dir.size()) {
    std::size_t j = dir.find('/', i);
    if (j == std::string::npos) j = dir.size();
    prefix = dir.substr(0, j);
    i = j + 1;
    if (prefix.empty() || prefix.back() == '/') continue;
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    long rc = co_await retry([&] {
      return libssh2_sftp_stat_ex(sftp, prefix.c_str(), static_cast<unsigned>(prefix.size()),
                                  LIBSSH2_SFTP_STAT, &attrs);
    });
    if (rc == 0) {
      if (!LIBSSH2_SFTP_S_ISDIR(attrs.permissions))
        co_return Failure{FailureKind::SftpError,
                          msg::sftp_failed(t_, "cannot create directory", prefix, "NOT_A_DIRECTORY")};
      continue;
    }
    rc = co_await retry([&] {
      return libssh2_sftp_mkdir_ex(sftp, prefix.c_str(), static_cast<unsigned>(prefix.size()), 0755);
    });
    if (rc != 0) co_return sftp_failure(sftp, "cannot create directory", prefix);
  }
  co_return std::nullopt;
}

Task<std::optional<Failure>> AsyncSession::sftp_put_file(LIBSSH2_SFTP* sftp, const fs::path& local,
                                                         const std::string& remote, int mode) {
  std::ifstream in(local, std::ios::binary);
  if (!in)
    co_return Failure{FailureKind::SftpError,
                      msg::sftp_failed(t_, "cannot read local file", local.string(), "unreadable")};
  LIBSSH2_SFTP_HANDLE* h = co_await retry_ptr([&] {
    return libssh2_sftp_open_ex(sftp, remote.c_str(), static_cast<unsigned>(remote.size()),
                                LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC, mode,
                                LIBSSH2_SFTP_OPENFILE);
  });
  if (!h) co_return sftp_failure(sftp, "cannot open for writing", remote);
  std::vector<char> buf(32768);
  bool write_failed = false;
  while (in && !write_failed) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::size_t len = static_cast<std::size_t>(in.gcount());
    std::size_t off = 0;
    while (off < len) {
      ssize_t n = libssh2_sftp_write(h, buf.data() + off, len - off);
      if (n == LIBSSH2_ERROR_EAGAIN) {
        if (!co_await wait_io()) break;
        continue;
      }
      if (n < 0) break;
      off += static_cast<std::size_t>(n);
    }
    if (off < len) write_failed = true;
  }
  if (write_failed) {
    auto f = sftp_failure(sftp, "cannot write", remote);
    if (session_) libssh2_sftp_close_handle(h);  // best effort
    co_return f;
  }
  long rc = co_await retry([&] { return libssh2_sftp_close_handle(h); });
  if (rc != 0) co_return sftp_failure(sftp, "cannot close", remote);
  LIBSSH2_SFTP_ATTRIBUTES attrs{};
  attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
  attrs.permissions = static_cast<unsigned long>(mode);
  rc = co_await retry([&] {
    return libssh2_sftp_stat_ex(sftp, remote.c_str(), static_cast<unsigned>(remote.size()),
                                LIBSSH2_SFTP_SETSTAT, &attrs);
  });
  if (rc != 0) co_return sftp_failure(sftp, "cannot set the mode of", remote);
  co_return std::nullopt;
}

Task<std::optional<Failure>> AsyncSession::upload(fs::path local, std::string remote,
                                                  std::optional<int> mode) {
  if (!session_)
    co_return Failure{FailureKind::SftpError, msg::sftp_failed(t_, "cannot write", remote, "not connected")};
  std::error_code ec;
  auto st = fs::status(local, ec);
  if (ec || !fs::exists(st))
    co_return Failure{FailureKind::SftpError,
                      msg::sftp_failed(t_, "cannot read local file", local.string(),
                                       "No such file or directory")};
  log::debug("ssh", "{}: upload {} -> {}", describe(t_), local.string(), remote);
  arm(std::chrono::milliseconds(0));
  LIBSSH2_SFTP* sftp = co_await retry_ptr([this] { return libssh2_sftp_init(session_); });
  if (!sftp) co_return sftp_failure(nullptr, "cannot start the SFTP subsystem for", remote);
  SftpGuard guard{&session_, sftp};

  if (auto f = co_await sftp_mkdir_p(sftp, parent_of(remote))) co_return f;
  if (!fs::is_directory(st)) {
    if (auto f = co_await sftp_put_file(sftp, local, remote, mode.value_or(local_mode(local))))
      co_return f;
  } else {
    if (auto f = co_await sftp_mkdir_p(sftp, remote)) co_return f;
    std::vector<std::pair<fs::path, std::string>> dirs{{local, remote}};
    for (auto it = fs::recursive_directory_iterator(local, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      std::string target = remote + "/" + fs::relative(it->path(), local).generic_string();
      if (it->is_directory()) {
        if (auto f = co_await sftp_mkdir_p(sftp, target)) co_return f;
        dirs.emplace_back(it->path(), target);
      } else if (auto f = co_await sftp_put_file(sftp, it->path(), target,
                                                  mode.value_or(local_mode(it->path())))) {
        co_return f;
      }
    }
    if (ec)
      co_return Failure{FailureKind::SftpError,
                        msg::sftp_failed(t_, "cannot read local directory", local.string(), ec.message())};
    for (const auto& d : dirs) {  // directory modes last (a 0555 dir stays writable until done)
      const std::string& rdir = d.second;
      LIBSSH2_SFTP_ATTRIBUTES attrs{};
      attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
      attrs.permissions = static_cast<unsigned long>(local_mode(d.first));
      long rc = co_await retry([&] {
        return libssh2_sftp_stat_ex(sftp, rdir.c_str(), static_cast<unsigned>(rdir.size()),
                                    LIBSSH2_SFTP_SETSTAT, &attrs);
      });
      if (rc != 0) co_return sftp_failure(sftp, "cannot set the mode of", rdir);
    }
  }
  guard.sftp = nullptr;
  co_await retry([&] { return libssh2_sftp_shutdown(sftp); });
  co_return std::nullopt;
}

}  // namespace vmlab::communicator::detail
