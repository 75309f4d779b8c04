// Where a node's `up` time went: the phase clock, its text, and the `phases` JSON events and
// summary lines of a real `up` on the fake provider.
#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "executor/phases.hpp"
#include "fake_lab.hpp"

namespace executor = vmlab::executor;
using executor::Phase;
using executor::PhaseClock;
using std::chrono::milliseconds;

TEST_CASE("phase clock: each stretch goes to the phase it was in; they add up to the total") {
  const auto t0 = PhaseClock::Clock::now();
  PhaseClock c("queued", t0);
  c.enter("create", t0 + milliseconds(300));
  c.enter("boot", t0 + milliseconds(1300));
  c.enter("boot", t0 + milliseconds(2000));  // already there: nothing changes
  c.enter("cloud-init", t0 + milliseconds(42500));
  c.enter("wait", t0 + milliseconds(54500));
  c.enter("steps", t0 + milliseconds(54520));
  c.enter("wait", t0 + milliseconds(57000));  // a second step waits again: accumulates
  c.enter("steps", t0 + milliseconds(57100));
  c.finish(t0 + milliseconds(60000));

  const auto& p = c.phases();
  REQUIRE(p.size() == 6);
  CHECK(p[0].name == "queued");
  CHECK(p[0].seconds == doctest::Approx(0.3));
  CHECK(p[2].seconds == doctest::Approx(41.2));
  CHECK(p[4].name == "wait");
  CHECK(p[4].seconds == doctest::Approx(0.12));
  CHECK(p[5].seconds == doctest::Approx(5.38));
  double sum = 0;
  for (const auto& ph : p) sum += ph.seconds;
  CHECK(sum == doctest::Approx(60.0).epsilon(1e-9));
  CHECK(c.total() == doctest::Approx(60.0).epsilon(1e-9));
  CHECK(executor::format_phases(p, c.total()) ==
        "queued 0.3s, create 1.0s, boot 41.2s, cloud-init 12.0s, wait 0.1s, steps 5.4s "
        "(total 60.0s)");
}

TEST_CASE("phase text: phases under 0.05 s are left out of the text, not out of the total") {
  CHECK(executor::format_phases({{"wait", 0.049}, {"steps", 2.0}}, 2.049) ==
        "steps 2.0s (total 2.0s)");
  CHECK(executor::format_phases({{"wait", 0.01}}, 0.01) == "(total 0.0s)");
  CHECK(executor::phase_field("cloud-init") == "cloud_init_s");
  CHECK(executor::phase_field("boot") == "boot_s");
}

TEST_CASE("up: one `phases` event per node whose fields add up to its total; summary lines") {
  vmlab::test::FakeLab f(
      "name = \"ph\"\n[defaults]\nbox = \"b\"\n"
      "[[node]]\nname = \"a\"\n  [[node.provision]]\n  name = \"s1\"\n  type = \"shell\"\n"
      "  inline = \"echo a\"\n"
      "[[node]]\nname = \"b\"\n  [[node.provision]]\n  name = \"s1\"\n  type = \"shell\"\n"
      "  inline = \"echo b\"\n  after = [\"a\"]\n");
  vmlab::test::CaptureStdout out;
  REQUIRE(f.up());
  std::istringstream lines(out.text());
  int events = 0;
  std::vector<std::string> summary;
  for (std::string l; std::getline(lines, l);) {
    auto j = nlohmann::json::parse(l);
    if (j["event"] == "summary") summary = j["lines"].get<std::vector<std::string>>();
    if (j["event"] != "phases") continue;
    ++events;
    CAPTURE(l);
    double sum = 0;
    int fields = 0;
    for (const auto& [k, v] : j.items())
      if (k != "total_s" && k.size() > 2 && k.substr(k.size() - 2) == "_s") {
        sum += v.get<double>();
        ++fields;
      }
    CHECK(std::abs(sum - j["total_s"].get<double>()) <= 0.0005 * (fields + 1));  // ms rounding
    CHECK(j.contains("queued_s"));  // created, started, ...
    CHECK(j.contains("boot_s"));
    CHECK(j.contains("steps_s"));
    CHECK(j.contains("wait_s"));
    CHECK(j["message"].get<std::string>().find("(total ") != std::string::npos);
  }
  CHECK(events == 2);
  REQUIRE(summary.size() == 4);
  CHECK(summary[0] == "lab ph is up (2 nodes)");
  CHECK(summary[1] == "time per node:");
  CHECK(summary[2].rfind("  a: ", 0) == 0);
  CHECK(summary[3].rfind("  b: ", 0) == 0);
}
