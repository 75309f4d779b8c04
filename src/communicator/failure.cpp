#include "communicator/failure.hpp"

#include <fmt/format.h>
#include <libssh2.h>
#include <libssh2_sftp.h>

#include "communicator/ssh_target.hpp"

namespace vmlab::communicator {

const char* to_string(FailureKind k) {
  switch (k) {
    case FailureKind::ConnectionRefused: return "connection refused";
    case FailureKind::Unreachable: return "unreachable";
    case FailureKind::Timeout: return "timed out";
    case FailureKind::ProtocolError: return "protocol error";
    case FailureKind::HostKeyMismatch: return "host key mismatch";
    case FailureKind::AuthFailed: return "authentication failed";
    case FailureKind::KeyError: return "unusable key";
    case FailureKind::ChannelFailed: return "channel failed";
    case FailureKind::SftpError: return "sftp error";
  }
  return "unknown";
}

bool is_retriable(FailureKind k) {
  return k != FailureKind::HostKeyMismatch && k != FailureKind::KeyError;
}

std::string describe(const SshTarget& t) {
  std::string where = fmt::format("{}:{}", t.host, t.port);
  if (t.label.empty()) return where;
  return fmt::format("{} ({})", t.label, where);
}

namespace msg {

std::string connection_refused(const SshTarget& t) {
  return fmt::format("cannot connect to {}: connection refused", describe(t));
}
std::string unreachable(const SshTarget& t, const std::string& reason) {
  return fmt::format("cannot connect to {}: {}", describe(t), reason);
}
std::string connect_timeout(const SshTarget& t, double seconds) {
  return fmt::format("cannot connect to {}: timed out after {:g}s", describe(t), seconds);
}
std::string handshake_failed(const SshTarget& t, const std::string& detail) {
  return fmt::format("SSH handshake with {} failed: {}", describe(t), detail);
}
std::string host_key_mismatch(const SshTarget& t, const std::string& expected_fp,
                              const std::string& got_fp) {
  return fmt::format("host key mismatch for {}: expected {}, got {}", describe(t), expected_fp,
                     got_fp);
}
std::string host_key_not_pinned(const SshTarget& t, const std::string& got_fp) {
  return fmt::format("no valid pinned host key for {} (server offers {}); refusing to connect",
                     describe(t), got_fp);
}
std::string auth_failed(const SshTarget& t) {
  return fmt::format("authentication failed for {}: user {} with key {} was refused",
                     describe(t), t.user, t.private_key.string());
}
std::string key_unusable(const SshTarget& t, const std::string& detail) {
  return fmt::format("cannot use private key {} for {}: {}", t.private_key.string(), describe(t),
                     detail);
}
std::string channel_failed(const SshTarget& t, const std::string& detail) {
  return fmt::format("cannot run a command on {}: {}", describe(t), detail);
}
std::string exec_timeout(const SshTarget& t, double seconds, const std::string& shown_cmd) {
  return fmt::format("command on {} timed out after {:g}s (channel closed): {}", describe(t),
                     seconds, shown_cmd);
}
std::string connection_lost(const SshTarget& t, const std::string& detail) {
  return fmt::format("SSH connection to {} lost: {}", describe(t), detail);
}
std::string sftp_failed(const SshTarget& t, const std::string& what, const std::string& path,
                        const std::string& status, bool download) {
  return fmt::format("SFTP {} {} failed: {} {}: {}", download ? "download from" : "upload to",
                     describe(t), what, path, status);
}
std::string not_ready(const SshTarget& t, double seconds, FailureKind last,
                      const std::string& last_message) {
  return fmt::format("{} not reachable over SSH within {:g}s; last failure ({}): {}",
                     describe(t), seconds, to_string(last), last_message);
}

}  // namespace msg

std::string sftp_status_name(unsigned long code) {
  switch (code) {
    case LIBSSH2_FX_OK: return "OK";
    case LIBSSH2_FX_EOF: return "EOF";
    case LIBSSH2_FX_NO_SUCH_FILE: return "NO_SUCH_FILE";
    case LIBSSH2_FX_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case LIBSSH2_FX_FAILURE: return "FAILURE";
    case LIBSSH2_FX_BAD_MESSAGE: return "BAD_MESSAGE";
    case LIBSSH2_FX_NO_CONNECTION: return "NO_CONNECTION";
    case LIBSSH2_FX_CONNECTION_LOST: return "CONNECTION_LOST";
    case LIBSSH2_FX_OP_UNSUPPORTED: return "OP_UNSUPPORTED";
    case LIBSSH2_FX_INVALID_HANDLE: return "INVALID_HANDLE";
    case LIBSSH2_FX_NO_SUCH_PATH: return "NO_SUCH_PATH";
    case LIBSSH2_FX_FILE_ALREADY_EXISTS: return "FILE_ALREADY_EXISTS";
    case LIBSSH2_FX_WRITE_PROTECT: return "WRITE_PROTECT";
    case LIBSSH2_FX_NO_MEDIA: return "NO_MEDIA";
    case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "NO_SPACE_ON_FILESYSTEM";
    case LIBSSH2_FX_QUOTA_EXCEEDED: return "QUOTA_EXCEEDED";
    case LIBSSH2_FX_UNKNOWN_PRINCIPAL: return "UNKNOWN_PRINCIPAL";
    case LIBSSH2_FX_LOCK_CONFLICT: return "LOCK_CONFLICT";
    case LIBSSH2_FX_DIR_NOT_EMPTY: return "DIR_NOT_EMPTY";
    case LIBSSH2_FX_NOT_A_DIRECTORY: return "NOT_A_DIRECTORY";
    case LIBSSH2_FX_INVALID_FILENAME: return "INVALID_FILENAME";
    case LIBSSH2_FX_LINK_LOOP: return "LINK_LOOP";
    default: return fmt::format("status {}", code);
  }
}

}  // namespace vmlab::communicator
