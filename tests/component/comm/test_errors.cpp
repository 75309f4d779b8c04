// Connection failures against a real sshd: each one's exact text; wait_ready's retries.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "communicator/keys.hpp"
#include "communicator/run_tool.hpp"
#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "sshd_fixture.hpp"

using namespace vmlab;
using namespace vmlab::communicator;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST_CASE("a wrong pinned host key is refused before authentication, with both fingerprints") {
  REQUIRE_SSHD();
  auto& sshd = test::shared_sshd();
  test::TempDir tmp;
  generate_ed25519(tmp / "other", "impostor");
  auto t = sshd.target();
  t.pinned_host_key = read_public_key(tmp / "other.pub");
  std::string expected_fp = fingerprint_sha256(parse_public_key(t.pinned_host_key)->blob);
  std::string got_fp = fingerprint_sha256(parse_public_key(sshd.host_pub())->blob);
  // Our fingerprints are OpenSSH's.
  auto lf = run_tool("ssh-keygen", {"-l", "-E", "sha256", "-f", (sshd.dir() / "ssh_host_ed25519_key.pub").string()});
  CHECK(lf.out.find(got_fp) != std::string::npos);
  CHECK_THROWS_WITH_AS(SshSession::connect(t),
                       fmt::format("host key mismatch for node1 (127.0.0.1:{}): expected {}, got {}",
                                   sshd.port(), expected_fp, got_fp)
                           .c_str(),
                       SshError);
  t.pinned_host_key = "";
  CHECK_THROWS_WITH_AS(SshSession::connect(t),
                       fmt::format("no valid pinned host key for node1 (127.0.0.1:{}) (server "
                                   "offers {}); refusing to connect",
                                   sshd.port(), got_fp)
                           .c_str(),
                       SshError);
}

TEST_CASE("a user key the server does not know: auth failed, naming user and key") {
  REQUIRE_SSHD();
  auto& sshd = test::shared_sshd();
  test::TempDir tmp;
  generate_ed25519(tmp / "stranger", "stranger");
  auto t = sshd.target();
  t.private_key = tmp / "stranger";
  CHECK_THROWS_WITH_AS(SshSession::connect(t),
                       fmt::format("authentication failed for node1 (127.0.0.1:{}): user root "
                                   "with key {} was refused",
                                   sshd.port(), t.private_key.string())
                           .c_str(),
                       SshError);
  t.private_key = tmp / "absent";
  CHECK_THROWS_WITH_AS(SshSession::connect(t),
                       fmt::format("cannot use private key {} for node1 (127.0.0.1:{}): file not "
                                   "found",
                                   t.private_key.string(), sshd.port())
                           .c_str(),
                       SshError);
}

TEST_CASE("a closed port: connection refused") {
  int port = test::free_port();
  SshTarget t{"127.0.0.1", port, "root", "/nonexistent", "", "node9"};
  CHECK_THROWS_WITH_AS(SshSession::connect(t),
                       fmt::format("cannot connect to node9 (127.0.0.1:{}): connection refused", port)
                           .c_str(),
                       SshError);
}

TEST_CASE("a listener that never speaks SSH: the connect times out") {
  int port = test::free_port();
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<unsigned short>(port));
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);  // accepts (kernel backlog) but never sends a banner
  SshTarget t{"127.0.0.1", port, "root", "/nonexistent", "", "mute"};
  auto start = Clock::now();
  CHECK_THROWS_WITH_AS(SshSession::connect(t, 700ms),
                       fmt::format("cannot connect to mute (127.0.0.1:{}): timed out after 0.7s", port)
                           .c_str(),
                       SshError);
  CHECK(Clock::now() - start < 3s);
  ::close(fd);
}

TEST_CASE("wait_ready retries until sshd starts listening") {
  REQUIRE_SSHD();
  test::Sshd late;  // keys and config now, daemon after 1 s
  std::thread starter([&] {
    std::this_thread::sleep_for(1s);
    late.start();
  });
  std::vector<Attempt> attempts;
  auto start = Clock::now();
  auto s = wait_ready(late.target("late"), Clock::now() + 20s,
                      [&](const Attempt& a) { attempts.push_back(a); });
  starter.join();
  CHECK(Clock::now() - start >= 900ms);
  REQUIRE(!attempts.empty());
  CHECK(attempts[0].kind == FailureKind::ConnectionRefused);
  CHECK(attempts[0].node == "late");
  CHECK(attempts[0].next_delay == 500ms);
  if (attempts.size() > 1) CHECK(attempts[1].next_delay == 1000ms);
  CHECK(s.exec("true") == 0);
}

TEST_CASE("wait_ready gives up at the deadline naming the last failure") {
  int port = test::free_port();
  SshTarget t{"127.0.0.1", port, "root", "/nonexistent", "", "node2"};
  int count = 0;
  auto start = Clock::now();
  CHECK_THROWS_WITH_AS(wait_ready(t, Clock::now() + 2s, [&](const Attempt&) { ++count; }),
                       fmt::format("node2 (127.0.0.1:{0}) not reachable over SSH within 2s; last "
                                   "failure (connection refused): cannot connect to node2 "
                                   "(127.0.0.1:{0}): connection refused",
                                   port)
                           .c_str(),
                       SshError);
  auto took = Clock::now() - start;
  CHECK(took >= 1900ms);
  CHECK(took < 3500ms);
  CHECK(count >= 2);  // 0 s, 0.5 s, 1.5 s
}

TEST_CASE("wait_ready stops at once on a host key mismatch") {
  REQUIRE_SSHD();
  auto t = test::shared_sshd().target();
  test::TempDir tmp;
  generate_ed25519(tmp / "other", "");
  t.pinned_host_key = read_public_key(tmp / "other.pub");
  auto start = Clock::now();
  try {
    wait_ready(t, Clock::now() + 30s);
    FAIL("connected despite the wrong host key");
  } catch (const SshError& e) {
    CHECK(std::string(e.what()).rfind("host key mismatch for node1", 0) == 0);
  }
  CHECK(Clock::now() - start < 3s);
}
