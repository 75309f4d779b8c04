// exec over a real sshd: exit status, streamed lines, env, sudo, time-out.
#include <doctest/doctest.h>

#include <chrono>

#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "sshd_fixture.hpp"

using namespace vmlab;
using namespace vmlab::communicator;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
struct Captured {
  std::vector<std::string> out, err, both;
  ExecOptions options() {
    ExecOptions o;
    o.on_stdout_line = [this](std::string_view l) {
      out.emplace_back(l);
      both.push_back("out:" + std::string(l));
    };
    o.on_stderr_line = [this](std::string_view l) {
      err.emplace_back(l);
      both.push_back("err:" + std::string(l));
    };
    return o;
  }
};
}  // namespace

TEST_CASE("exec returns the exit status and streams both outputs line by line") {
  REQUIRE_SSHD();
  auto& sshd = test::shared_sshd();
  auto s = SshSession::connect(sshd.target());
  Captured c;
  int st = s.exec("echo one; echo err1 >&2; echo two; printf 'no-newline'; exit 3", c.options());
  CHECK(st == 3);
  CHECK(c.out == std::vector<std::string>{"one", "two", "no-newline"});
  CHECK(c.err == std::vector<std::string>{"err1"});

  Captured d;
  CHECK(s.exec("echo a; sleep 0.3; echo b >&2; sleep 0.3; echo c", d.options()) == 0);
  CHECK(d.both == std::vector<std::string>{"out:a", "err:b", "out:c"});
}

TEST_CASE("exec delivers lines as they arrive, not at the end") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  Clock::time_point first_at{};
  ExecOptions o;
  o.on_stdout_line = [&](std::string_view l) {
    if (l == "first") first_at = Clock::now();
  };
  CHECK(s.exec("echo first; sleep 1; echo second", o) == 0);
  auto end = Clock::now();
  REQUIRE(first_at != Clock::time_point{});
  CHECK(end - first_at > 700ms);
}

TEST_CASE("exec exports env values, quoted") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  Captured c;
  auto o = c.options();
  o.env = {{"FOO", "it's a test"}, {"BAR", "x y $HOME"}};
  o.secret_env = {"BAR"};
  CHECK(s.exec("echo \"$FOO|$BAR\"", o) == 0);
  CHECK(c.out == std::vector<std::string>{"it's a test|x y $HOME"});
  CHECK_THROWS_WITH_AS(s.exec("true", [] {
    ExecOptions bad;
    bad.env = {{"BAD-NAME", "x"}};
    return bad;
  }()), "invalid environment variable name 'BAD-NAME': use letters, digits and _", SshError);
}

TEST_CASE("sudo is not wrapped for root (the test sshd logs in as root)") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  Captured c;
  auto o = c.options();
  o.sudo = true;
  // Would fail if wrapped in `sudo -n` without sudo installed or configured.
  CHECK(s.exec("id -u; echo \"$0\"", o) == 0);
  REQUIRE(c.out.size() == 2);
  CHECK(c.out[0] == "0");
}

TEST_CASE("a command over its time-out is cut off and reported; the session recovers") {
  REQUIRE_SSHD();
  auto& sshd = test::shared_sshd();
  auto s = SshSession::connect(sshd.target());
  ExecOptions o;
  o.timeout = 1s;
  auto start = Clock::now();
  std::string message;
  try {
    s.exec("sleep 20", o);
  } catch (const SshError& e) {
    message = e.what();
  }
  CHECK(Clock::now() - start < 4s);
  CHECK(message == fmt::format("command on node1 (127.0.0.1:{}) timed out after 1s (channel "
                               "closed): sleep 20",
                               sshd.port()));
  CHECK(s.exec("true") == 0);  // reconnects
}

TEST_CASE("a secret command is redacted in the time-out error") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  ExecOptions o;
  o.timeout = 500ms;
  o.secret = true;
  try {
    s.exec("sleep 5; echo TOPSECRET", o);
    FAIL("no time-out");
  } catch (const SshError& e) {
    CHECK(std::string(e.what()).find("TOPSECRET") == std::string::npos);
    CHECK(std::string(e.what()).find("<secret command>") != std::string::npos);
  }
}
