// `vmlab ci` on the fake provider: the cycle (up -> command -> artifacts -> destroy) for a
// passing and a failing command, an up that fails, --keep-on-failure, Ctrl-C and SIGTERM
// mid-command; the host command runner (own process group, signals, a daemon that keeps its
// output open) and the JUnit writer.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "communicator/local_command.hpp"
#include "core/error.hpp"
#include "executor/cancel.hpp"
#include "executor/ci.hpp"
#include "executor/ci_record.hpp"
#include "fake_lab.hpp"
#include "state/filenames.hpp"

using vmlab::test::FakeLab;
namespace executor = vmlab::executor;
namespace communicator = vmlab::communicator;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kLab =
    "name = \"cilab\"\n[defaults]\nbox = \"b\"\n"
    "[[node]]\nname = \"n1\"\n  [[node.provision]]\n  name = \"hello\"\n  type = \"shell\"\n"
    "  inline = \"echo hello\"\n"
    "[[node]]\nname = \"n2\"\n  [[node.provision]]\n  name = \"two\"\n  type = \"shell\"\n"
    "  inline = \"echo two\"\n";

struct CiRun {
  FakeLab f{kLab};
  fs::path artifacts = f.dir / "artifacts";
  int run(std::vector<std::string> command, bool keep = false) {
    executor::CiOptions o;
    o.command = std::move(command);
    o.artifacts = artifacts;
    o.keep_on_failure = keep;
    vmlab::test::CaptureStdout out;
    executor::Reporter rep(true, executor::node_names(f.lab.topo));
    const int code = executor::run_ci(f.lab, o, rep, f.connect);
    stdout_text = out.text();
    return code;
  }
  size_t machines() {
    std::lock_guard lock(f.provider->mu);
    return f.provider->machines.size();
  }
  std::string stdout_text;
};

std::vector<std::pair<std::string, bool>> run_lines(const std::vector<std::string>& argv,
                                                    int& status, std::function<int()> poll = {}) {
  std::vector<std::pair<std::string, bool>> lines;
  communicator::LocalCommand c;
  c.argv = argv;
  c.on_line = [&](std::string_view l, bool err) { lines.emplace_back(std::string(l), err); };
  c.poll = std::move(poll);
  status = communicator::run_local(c);
  return lines;
}

}  // namespace

TEST_CASE("run_local: lines of both streams, the exit status, 127 for a missing program") {
  int st = -1;
  auto lines = run_lines({"sh", "-c", "echo a; echo b >&2; printf 'no newline'; exit 3"}, st);
  CHECK(st == 3);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == std::pair<std::string, bool>{"a", false});
  CHECK(lines[1] == std::pair<std::string, bool>{"b", true});
  CHECK(lines[2] == std::pair<std::string, bool>{"no newline", false});
  run_lines({"vmlab-no-such-program-xyz"}, st);
  CHECK(st == 127);
}

TEST_CASE("run_local: the command leads its own process group and gets the signal poll asks for") {
  int st = -1;
  auto lines = run_lines({"sh", "-c", "cut -d' ' -f5 /proc/$$/stat; echo $$"}, st);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].first == lines[1].first);  // pgid == its pid: a group leader
  CHECK(std::stoi(lines[0].first) != static_cast<int>(getpgrp()));

  const auto t0 = std::chrono::steady_clock::now();
  int polls = 0;
  run_lines({"sh", "-c", "echo started; sleep 30"}, st,
            [&]() { return ++polls == 3 ? SIGTERM : 0; });
  CHECK(st == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

TEST_CASE("run_local: a daemon left holding the output does not keep the run waiting") {
  int st = -1;
  const auto t0 = std::chrono::steady_clock::now();
  auto lines = run_lines({"sh", "-c", "sleep 30 & echo left"}, st);
  CHECK(st == 0);
  CHECK(lines.size() == 1);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10));
}

TEST_CASE("junit_xml: counts per suite, escaping, no raw control characters") {
  using O = executor::CaseResult::Outcome;
  std::vector<executor::CaseResult> cases{
      {"lab.n1", "boot", 1.5, O::Passed, "", ""},
      {"lab.n1", "step a<b> (shell)", 2.0, O::Failed, "exit \"1\" & more", "out\x01put\n"},
      {"lab.n2", "step c (shell)", 0, O::Skipped, "not run", ""},
  };
  const auto x = executor::junit_xml("vmlab ci lab", cases);
  CHECK(x.find("<testsuites name=\"vmlab ci lab\" tests=\"3\" failures=\"1\" skipped=\"1\"") !=
        std::string::npos);
  CHECK(x.find(
            "<testsuite name=\"lab.n1\" tests=\"2\" failures=\"1\" skipped=\"0\" time=\"3.500\"") !=
        std::string::npos);
  CHECK(x.find("name=\"step a&lt;b&gt; (shell)\"") != std::string::npos);
  CHECK(x.find("<failure message=\"exit &quot;1&quot; &amp; more\"/>") != std::string::npos);
  CHECK(x.find("<skipped message=\"not run\"/>") != std::string::npos);
  CHECK(x.find('\x01') == std::string::npos);
}

TEST_CASE("ci: a passing command gets the lab's facts; artifacts kept; the lab is destroyed") {
  CiRun r;
  const int code = r.run({"sh", "-c",
                          "echo \"cmd sees $VMLAB_LAB\"; test -f \"$VMLAB_SSH_CONFIG\" && "
                          "grep -q '^n1 ' \"$VMLAB_INVENTORY\" && test -d \"$VMLAB_ARTIFACTS\" && "
                          "test -n \"$VMLAB_LAB_ID\""});
  CHECK(code == 0);
  CHECK(r.machines() == 0);
  CHECK(r.f.provider->destroys >= 2);
  CHECK(slurp(r.artifacts / "command.log") == "cmd sees cilab\n");
  CHECK(fs::exists(r.artifacts / "status.json"));
  CHECK(nlohmann::json::parse(slurp(r.artifacts / "status.json"))["nodes"].size() == 2);
  CHECK_FALSE(fs::exists(r.artifacts / "system"));  // system logs only on failure
  const auto junit = slurp(r.artifacts / "junit.xml");
  CHECK(junit.find("tests=\"5\" failures=\"0\" skipped=\"0\"") != std::string::npos);
  CHECK(junit.find("name=\"step hello (shell)\"") != std::string::npos);
  // Every line of events.jsonl is JSON with a time; the run ends with ci-done, exit 0.
  std::istringstream ev(slurp(r.artifacts / "events.jsonl"));
  std::string line, last;
  int n = 0;
  while (std::getline(ev, line)) {
    auto j = nlohmann::json::parse(line);
    CHECK(j.contains("t"));
    last = line;
    ++n;
  }
  CHECK(n > 10);
  CHECK(nlohmann::json::parse(last)["event"] == "ci-done");
  CHECK(nlohmann::json::parse(last)["exit_code"] == "0");
  // --json on stdout: one object per line, the command's output as output events.
  CHECK(r.stdout_text.find("{\"event\":\"output\",\"line\":\"cmd sees cilab\",\"node\":\"\"") !=
        std::string::npos);
  // The record went with the lab; the artifacts did not.
  CHECK_FALSE(fs::exists(vmlab::filenames::state_file(r.f.lab.topo.project_dir)));
}

TEST_CASE("ci: a failing command's status is the exit code; system logs collected; destroyed") {
  CiRun r;
  CHECK(r.run({"sh", "-c", "echo failing >&2; exit 7"}) == 7);
  CHECK(r.machines() == 0);
  CHECK(fs::exists(r.artifacts / "system" / "n1.log"));
  CHECK(fs::exists(r.artifacts / "system" / "n2.log"));
  CHECK(slurp(r.artifacts / "command.log") == "[stderr] failing\n");
  const auto junit = slurp(r.artifacts / "junit.xml");
  CHECK(junit.find("<failure message=\"exit status 7\"/>") != std::string::npos);
}

TEST_CASE("ci: an up that fails on one node: 90, the command never runs, nothing is left") {
  CiRun r;
  r.f.guests.run = [](const std::string& node, const std::string&) { return node == "n2" ? 4 : 0; };
  const fs::path marker = r.f.dir / "ran";
  CHECK(r.run({"touch", marker.string()}) == executor::kCiLabFailed);
  CHECK_FALSE(fs::exists(marker));
  CHECK(r.machines() == 0);
  const auto junit = slurp(r.artifacts / "junit.xml");
  CHECK(junit.find("failures=\"1\"") != std::string::npos);
  CHECK(junit.find("<skipped message=\"not run: the lab did not come up\"/>") != std::string::npos);
  CHECK(fs::exists(r.artifacts / "steps" / "n2" / "two.log"));
  CHECK(fs::exists(r.artifacts / "system" / "n2.log"));
}

TEST_CASE("ci: --keep-on-failure leaves a failed lab up and says how to remove it") {
  CiRun r;
  CHECK(r.run({"false"}, true) == 1);
  CHECK(r.machines() == 2);
  CHECK(r.stdout_text.find("destroy -f") != std::string::npos);
  CHECK(fs::exists(vmlab::filenames::state_file(r.f.lab.topo.project_dir)));
  // and a passing command still tears down
  CiRun ok;
  CHECK(ok.run({"true"}, true) == 0);
  CHECK(ok.machines() == 0);
}

TEST_CASE("ci: Ctrl-C or SIGTERM while the command runs: it is told, the lab is destroyed") {
  for (int sig : {0, SIGTERM}) {
    CAPTURE(sig);
    CiRun r;
    const fs::path log = r.artifacts / "command.log";
    std::jthread canceller([&](std::stop_token stop) {
      while (!stop.stop_requested() && slurp(log).find("go") == std::string::npos)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (stop.stop_requested()) return;
      if (sig == 0)
        executor::request_cancel();
      else
        ::kill(::getpid(), sig);  // the handler run_ci installed takes it
    });
    const auto t0 = std::chrono::steady_clock::now();
    const int code = r.run({"sh", "-c",
                            "trap 'echo told; exit 5' TERM INT; echo go; "
                            "while :; do sleep 0.1; done"});
    CHECK(code == 128 + (sig == 0 ? SIGINT : sig));
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
    CHECK(slurp(log).find("told") != std::string::npos);
    CHECK(r.machines() == 0);
    executor::reset_cancel();
  }
}
