// The lab's port forwarder (executor/forwards.hpp) as `up` runs it: the real vmlab binary
// started detached as `vmlab __forwarder`, relaying 127.0.0.1 ports to "guests" that are echo
// servers on 127.0.0.1 (TCP with a half-close, UDP); an unchanged set of rules keeps the
// running forwarder, a changed one replaces it, an empty one stops it; a port someone holds is
// an error naming them, both before anything is created (check_forward_ports, at the
// forward's file:line:col) and when the forwarder binds.
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "config/load.hpp"
#include "core/error.hpp"
#include "executor/forwards.hpp"
#include "provisioners/provisioner.hpp"
#include "testutil.hpp"

using namespace vmlab;
using executor::ForwardRule;

namespace {

const std::string kVmlab = std::string(VMLAB_BIN_DIR) + "/vmlab";

// A socket bound on 127.0.0.1 at a port the kernel picks; `port` gets that port.
int bind_loopback(int type, int& port) {
  int fd = ::socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A port nothing listens on now (bound and released again).
int free_port(int type = SOCK_STREAM) {
  int port = 0;
  ::close(bind_loopback(type, port));
  return port;
}

// Echoes every TCP connection ("echo:" + what came), closing after the client half-closes.
struct TcpEcho {
  int fd = -1, port = 0;
  std::thread t;
  TcpEcho() {
    fd = bind_loopback(SOCK_STREAM, port);
    ::listen(fd, 8);
    t = std::thread([this] {
      for (;;) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        std::string got;
        char buf[256];
        for (ssize_t n; (n = ::read(c, buf, sizeof buf)) > 0;) got.append(buf, n);
        std::string reply = "echo:" + got;
        (void)!::write(c, reply.data(), reply.size());
        ::close(c);
      }
    });
  }
  ~TcpEcho() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    t.join();
  }
};

struct UdpEcho {
  int fd = -1, port = 0;
  std::thread t;
  UdpEcho() {
    fd = bind_loopback(SOCK_DGRAM, port);
    t = std::thread([this] {
      char buf[512];
      for (;;) {
        sockaddr_in from{};
        socklen_t fl = sizeof from;
        ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        if (n <= 0) return;
        std::string reply = "udp:" + std::string(buf, n);
        ::sendto(fd, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
    });
  }
  ~UdpEcho() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    t.join();
  }
};

// Connects to 127.0.0.1:port, sends `msg`, half-closes, reads to EOF.
std::string tcp_roundtrip(int port, const std::string& msg) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return "connect failed";
  }
  (void)!::write(fd, msg.data(), msg.size());
  ::shutdown(fd, SHUT_WR);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[256];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, n);
  ::close(fd);
  return got;
}

std::string udp_roundtrip(int port, const std::string& msg) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
  char buf[512];
  ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  ::close(fd);
  return n > 0 ? std::string(buf, n) : "no answer";
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0;
}

config::Topology topology(const test::TempDir& dir, int port) {
  config::LoadOptions o;
  o.use_env = false;
  o.step_types = &provisioners::step_types();
  return config::load_string(fmt::format(R"(name = "fw"
[[node]]
name = "web"
box = "b"
forward = [{{ guest = 80, host = {} }}]
)",
                                         port),
                             dir / "Vmfile", o);
}

}  // namespace

TEST_CASE("the forwarder relays TCP and UDP, is kept, replaced and stopped as the rules say") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / ".vmlab");
  TcpEcho tcp;
  UdpEcho udp;
  const int tport = free_port(), uport = free_port(SOCK_DGRAM);
  std::vector<ForwardRule> rules{{"web", "tcp", "127.0.0.1", tport, "127.0.0.1", tcp.port},
                                 {"web", "udp", "127.0.0.1", uport, "127.0.0.1", udp.port}};
  CHECK(executor::sync_forwarder(dir.path(), "fw-abc123", rules, kVmlab));
  auto pid = executor::forwarder_pid(dir.path());
  REQUIRE(pid);
  CHECK(tcp_roundtrip(tport, "hello") == "echo:hello");
  std::string big(200000, 'x');  // more than one buffer, both ways
  CHECK(tcp_roundtrip(tport, big) == "echo:" + big);
  CHECK(udp_roundtrip(uport, "ping") == "udp:ping");
  CHECK(executor::served_forwards(dir.path()) == rules);

  // It is detached: its own session, not our process group.
  CHECK(::getsid(*pid) == *pid);

  // The same rules again: nothing to do, the same process.
  CHECK_FALSE(executor::sync_forwarder(dir.path(), "fw-abc123", rules, kVmlab));
  CHECK(executor::forwarder_pid(dir.path()) == pid);

  // Someone else's listener on a port of this lab: named before anything is created.
  test::Listener other;
  auto topo = topology(dir, other.port);
  try {
    executor::check_forward_ports(topo, {"web"});
    FAIL("a taken port passed the check");
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    CHECK(msg.find((dir / "Vmfile").string() + ":5:") != std::string::npos);
    CHECK(msg.find(fmt::format("127.0.0.1:{}/tcp", other.port)) != std::string::npos);
    CHECK(msg.find(fmt::format("process {}", ::getpid())) != std::string::npos);
  }
  // The lab's own forwarder holding a port is no collision (up replaces it).
  CHECK_NOTHROW(executor::check_forward_ports(topology(dir, tport), {"web"}));
  // Another project's forwarder is named as such.
  test::TempDir dir2;
  std::filesystem::create_directories(dir2 / ".vmlab");
  try {
    executor::check_forward_ports(topology(dir2, tport), {"web"});
    FAIL("another lab's forwarded port passed the check");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()).find("vmlab's port forwarder of lab fw-abc123 (project " +
                                     dir.path().string() + ")") != std::string::npos);
  }
  // ... and its forwarder cannot take it either: an error, no forwarder left behind.
  try {
    executor::sync_forwarder(dir2.path(), "fw2-def456",
                             {{"web", "tcp", "127.0.0.1", tport, "127.0.0.1", tcp.port}}, kVmlab);
    FAIL("a second forwarder bound a taken port");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find(fmt::format("127.0.0.1:{}/tcp", tport)) != std::string::npos);
  }
  CHECK_FALSE(executor::forwarder_pid(dir2.path()));

  // Changed rules (the UDP forward gone): a new forwarder, the old one ended.
  CHECK(executor::sync_forwarder(dir.path(), "fw-abc123", {rules[0]}, kVmlab));
  auto pid2 = executor::forwarder_pid(dir.path());
  REQUIRE(pid2);
  CHECK(*pid2 != *pid);
  CHECK_FALSE(process_alive(*pid));
  CHECK(tcp_roundtrip(tport, "again") == "echo:again");
  CHECK(udp_roundtrip(uport, "ping") == "no answer");

  // No rules: stopped, the port free again, its files gone.
  CHECK(executor::sync_forwarder(dir.path(), "fw-abc123", {}, kVmlab));
  CHECK_FALSE(executor::forwarder_pid(dir.path()));
  for (int i = 0; i < 50 && process_alive(*pid2); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  CHECK_FALSE(process_alive(*pid2));
  CHECK(tcp_roundtrip(tport, "x") == "connect failed");
  CHECK_FALSE(std::filesystem::exists(dir / ".vmlab/forwarder.pid"));
  CHECK_FALSE(std::filesystem::exists(dir / ".vmlab/forwards.json"));
}

TEST_CASE("a forwarder killed without notice is restarted by the next sync") {
  test::TempDir dir;
  std::filesystem::create_directories(dir / ".vmlab");
  TcpEcho tcp;
  const int port = free_port();
  std::vector<ForwardRule> rules{{"web", "tcp", "127.0.0.1", port, "127.0.0.1", tcp.port}};
  REQUIRE(executor::sync_forwarder(dir.path(), "fw-abc123", rules, kVmlab));
  auto pid = executor::forwarder_pid(dir.path());
  REQUIRE(pid);
  ::kill(*pid, SIGKILL);
  for (int i = 0; i < 100 && process_alive(*pid); ++i) {
    ::waitpid(*pid, nullptr, WNOHANG);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK_FALSE(executor::forwarder_pid(dir.path()));  // a stale pid file is not a forwarder
  CHECK(executor::sync_forwarder(dir.path(), "fw-abc123", rules, kVmlab));
  CHECK(tcp_roundtrip(port, "back") == "echo:back");
  executor::stop_forwarder(dir.path());
  CHECK_FALSE(executor::forwarder_pid(dir.path()));
}
