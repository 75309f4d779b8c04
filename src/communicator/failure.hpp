#pragma once
// How SSH operations fail, and the exact user-visible text for each failure. Every
// low-level libssh2 failure maps to one FailureKind and one message built here, so the
// texts are pinned by unit tests (tests/unit/comm/test_failure.cpp).
#include <string>

namespace vmlab::communicator {

struct SshTarget;

enum class FailureKind {
  ConnectionRefused,  // TCP RST: nothing listens (yet)
  Unreachable,        // other TCP connect errors (no route, ...)
  Timeout,            // connect/handshake/command did not finish in time
  ProtocolError,      // handshake/transport failed (e.g. closed before the banner)
  HostKeyMismatch,    // server key is not the pinned one (fatal: never retried)
  AuthFailed,         // the server refused our key for this user
  KeyError,           // our private key file cannot be used (fatal)
  ChannelFailed,      // channel open / exec request refused
  SftpError,          // an SFTP operation failed (message names path + status)
};

// Short lower-case name: "connection refused", "host key mismatch", ...
const char* to_string(FailureKind k);
// Whether wait_ready() keeps trying after this failure (HostKeyMismatch/KeyError: no).
bool is_retriable(FailureKind k);

struct Failure {
  FailureKind kind;
  std::string message;  // complete sentence for the user
};

// "NODE (HOST:PORT)", or "HOST:PORT" when the target has no label.
std::string describe(const SshTarget& t);

namespace msg {
std::string connection_refused(const SshTarget& t);
std::string unreachable(const SshTarget& t, const std::string& reason);
std::string connect_timeout(const SshTarget& t, double seconds);
std::string handshake_failed(const SshTarget& t, const std::string& detail);
std::string host_key_mismatch(const SshTarget& t, const std::string& expected_fp,
                              const std::string& got_fp);
std::string host_key_not_pinned(const SshTarget& t, const std::string& got_fp);
std::string auth_failed(const SshTarget& t);
std::string key_unusable(const SshTarget& t, const std::string& detail);
std::string channel_failed(const SshTarget& t, const std::string& detail);
std::string exec_timeout(const SshTarget& t, double seconds, const std::string& shown_cmd);
std::string connection_lost(const SshTarget& t, const std::string& detail);
// "SFTP upload to T failed: WHAT PATH: STATUS" ("SFTP download from T ..." when `download`).
std::string sftp_failed(const SshTarget& t, const std::string& what, const std::string& path,
                        const std::string& status, bool download = false);
std::string not_ready(const SshTarget& t, double seconds, FailureKind last,
                      const std::string& last_message);
}  // namespace msg

// Name of an SFTP status code (LIBSSH2_FX_*): "NO_SUCH_FILE", "PERMISSION_DENIED", ...
std::string sftp_status_name(unsigned long code);

}  // namespace vmlab::communicator
