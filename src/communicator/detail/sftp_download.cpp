// SFTP download for AsyncSession: one remote file to a local temporary, renamed into place.
#include <fcntl.h>
#include <unistd.h>

#include "communicator/detail/async_session.hpp"
#include "core/log.hpp"

namespace vmlab::communicator::detail {
namespace fs = std::filesystem;

Task<std::optional<Failure>> AsyncSession::download(std::string remote, fs::path local, int mode) {
  if (!session_)
    co_return Failure{FailureKind::SftpError,
                      msg::sftp_failed(t_, "cannot read", remote, "not connected", true)};
  log::debug("ssh", "{}: download {} -> {}", describe(t_), remote, local.string());
  arm(std::chrono::milliseconds(0));
  LIBSSH2_SFTP* sftp = co_await retry_ptr([this] { return libssh2_sftp_init(session_); });
  if (!sftp) co_return sftp_failure(nullptr, "cannot start the SFTP subsystem for", remote, true);
  LIBSSH2_SFTP_HANDLE* h = co_await retry_ptr([&] {
    return libssh2_sftp_open_ex(sftp, remote.c_str(), static_cast<unsigned>(remote.size()),
                                LIBSSH2_FXF_READ, 0, LIBSSH2_SFTP_OPENFILE);
  });
  if (!h) {
    auto f = sftp_failure(sftp, "cannot open for reading", remote, true);
    co_await retry([&] { return libssh2_sftp_shutdown(sftp); });
    co_return f;
  }
  const fs::path tmp = local.string() + ".vmlab-tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 07777);
  std::optional<Failure> failure;
  if (fd < 0)
    failure = Failure{FailureKind::SftpError, msg::sftp_failed(t_, "cannot write local file",
                                                               tmp.string(), "unwritable", true)};
  std::vector<char> buf(32768);
  while (!failure) {
    ssize_t n = libssh2_sftp_read(h, buf.data(), buf.size());
    if (n == LIBSSH2_ERROR_EAGAIN) {
      if (!co_await wait_io()) failure = sftp_failure(sftp, "cannot read", remote, true);
      continue;
    }
    if (n < 0) failure = sftp_failure(sftp, "cannot read", remote, true);
    if (n <= 0) break;
    for (ssize_t off = 0; off < n && !failure;) {
      ssize_t w = ::write(fd, buf.data() + off, static_cast<size_t>(n - off));
      if (w < 0)
        failure = Failure{
            FailureKind::SftpError,
            msg::sftp_failed(t_, "cannot write local file", tmp.string(), "write failed", true)};
      else
        off += w;
    }
  }
  if (fd >= 0) {
    ::fchmod(fd, static_cast<mode_t>(mode & 07777));  // the umask may have narrowed it
    if (::fsync(fd) != 0 && !failure)
      failure = Failure{
          FailureKind::SftpError,
          msg::sftp_failed(t_, "cannot write local file", tmp.string(), "fsync failed", true)};
    ::close(fd);
  }
  if (session_) co_await retry([&] { return libssh2_sftp_close_handle(h); });
  if (session_) co_await retry([&] { return libssh2_sftp_shutdown(sftp); });
  std::error_code ec;
  if (!failure) {
    fs::rename(tmp, local, ec);
    if (ec)
      failure = Failure{
          FailureKind::SftpError,
          msg::sftp_failed(t_, "cannot write local file", local.string(), ec.message(), true)};
  }
  if (failure) fs::remove(tmp, ec);
  co_return failure;
}

}  // namespace vmlab::communicator::detail
