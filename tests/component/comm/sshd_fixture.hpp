#pragma once
// A real OpenSSH sshd on 127.0.0.1 for the communicator tests: fresh host key, user key and
// config in a TempDir, `sshd -D -e -f CONFIG` as a child process, killed by PID at the end.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "communicator/keys.hpp"
#include "communicator/ssh_target.hpp"
#include "testutil.hpp"

namespace vmlab::test {

inline constexpr const char* kSshd = "/usr/sbin/sshd";

inline bool sshd_available() { return fs::exists(kSshd); }

// A port on 127.0.0.1 that was free a moment ago.
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<unsigned short>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

class Sshd {
 public:
  // Prepares keys and config; start() launches the daemon (port 0 = pick a free one).
  explicit Sshd(int port = 0) : port_(port ? port : free_port()) {
    fs::create_directories("/run/sshd");  // privilege separation directory
    communicator::generate_ed25519(dir_ / "ssh_host_ed25519_key", "test-host");
    communicator::generate_ed25519(dir_ / "id_ed25519", "test-user");
    host_pub_ = communicator::read_public_key(dir_ / "ssh_host_ed25519_key.pub");
    fs::copy_file(dir_ / "id_ed25519.pub", dir_ / "authorized_keys");
    std::ofstream(dir_ / "sshd_config")
        << "ListenAddress 127.0.0.1\nPort " << port_ << "\nHostKey "
        << (dir_ / "ssh_host_ed25519_key").string() << "\nAuthorizedKeysFile "
        << (dir_ / "authorized_keys").string() << "\nPidFile " << (dir_ / "sshd.pid").string()
        << "\nStrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\n"
           "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
           "Subsystem sftp internal-sftp\nMaxStartups 100\nMaxSessions 100\nLogLevel ERROR\n";
  }
  ~Sshd() { stop(); }
  Sshd(const Sshd&) = delete;
  Sshd& operator=(const Sshd&) = delete;

  // Starts sshd and waits (up to 10 s) until it accepts connections.
  bool start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string log = (dir_ / "sshd.log").string();
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      (void)f;
      std::string cfg = (dir_ / "sshd_config").string();
      ::execl(kSshd, kSshd, "-D", "-e", "-f", cfg.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (port_open(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

  int port() const { return port_; }
  const fs::path& dir() const { return dir_.path(); }
  const std::string& host_pub() const { return host_pub_; }
  std::string log() const {
    std::ifstream in(dir_ / "sshd.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  communicator::SshTarget target(const std::string& label = "node1") const {
    communicator::SshTarget t;
    t.host = "127.0.0.1";
    t.port = port_;
    t.user = "root";
    t.private_key = dir_ / "id_ed25519";
    t.pinned_host_key = host_pub_;
    t.label = label;
    return t;
  }

 private:
  TempDir dir_;
  int port_;
  pid_t pid_ = -1;
  std::string host_pub_;
};

// One shared daemon for the whole test binary (started on first use).
inline Sshd& shared_sshd() {
  static Sshd d;
  static bool started = d.start();
  (void)started;
  return d;
}

}  // namespace vmlab::test

// Use at the start of a test case that needs sshd.
#define REQUIRE_SSHD()                                                        \
  do {                                                                        \
    if (!vmlab::test::sshd_available())                                       \
      VMLAB_SKIP(vmlab::test::kSshd << " is not installed (openssh-server)"); \
  } while (0)
