// The executor's StepRuntime on the fake provider: peer sessions to other nodes of the lab
// (what a step like a Kubernetes join uses), their errors, and step outputs in the record.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "core/error.hpp"
#include "executor/steps.hpp"
#include "fake_lab.hpp"

using vmlab::providers::MachineState;
using vmlab::test::FakeLab;

namespace {

const char* const kTwoNodes =
    "name = \"peers\"\n[defaults]\nbox = \"b\"\n"
    "[[node]]\nname = \"m\"\n  [[node.provision]]\n  name = \"init\"\n  type = \"shell\"\n"
    "  inline = \"echo m\"\n"
    "[[node]]\nname = \"w\"\n";

}  // namespace

TEST_CASE(
    "peer(): a node not in the lab, not created, not provisioned or not running says what to run") {
  FakeLab f(kTwoNodes);
  vmlab::executor::StepRuntime rt(f.lab, f.connect);
  CHECK_THROWS_WITH_AS(rt.peer("x", ""), "node x is not part of lab peers", vmlab::Error);
  CHECK_THROWS_WITH_AS(rt.peer("m", "init"), "node m is not created: run `vmup m`", vmlab::Error);

  REQUIRE(f.up());
  {
    auto s = rt.peer("m", "init");  // created, running, its step done
    CHECK(s->target().label == "m");
    CHECK(s->exec("true", {}) == 0);
  }
  CHECK_THROWS_WITH_AS(rt.peer("w", "join"), "node w has not run its step join yet: run `vmup w`",
                       vmlab::Error);

  f.provider->machines["w"].state = MachineState::Stopped;
  CHECK_THROWS_WITH_AS(rt.peer("w", ""), "node w is not running (stopped): run `vmup w`",
                       vmlab::Error);
}

TEST_CASE("peer(): one session per node, reused, held by one caller at a time") {
  FakeLab f(kTwoNodes);
  REQUIRE(f.up());
  int connects = 0;
  auto counting = [&](const vmlab::communicator::SshTarget& t,
                      std::chrono::steady_clock::time_point d, const std::function<void()>& a) {
    ++connects;
    return f.connect(t, d, a);
  };
  vmlab::executor::StepRuntime rt(f.lab, counting);
  { auto a = rt.peer("m", ""); }
  { auto b = rt.peer("m", ""); }
  CHECK(connects == 1);
  auto held = rt.peer("m", "");
  std::atomic<bool> got{false};
  std::jthread other([&] {
    auto again = rt.peer("m", "");
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK_FALSE(got.load());  // waits while `held` lives
  held.reset();
  other.join();
  CHECK(got.load());
}

TEST_CASE("step outputs: non-secret values of an earlier run are seeded from the record") {
  FakeLab f(kTwoNodes);
  REQUIRE(f.up());
  f.lab.store->update([](vmlab::state::LabRecord& r) {
    r.machines["m"].steps["init"].outputs["api"] = "192.168.56.10:6443";
  });
  vmlab::executor::StepRuntime rt(f.lab, f.connect);
  CHECK(rt.outputs().get("m", "init", "api") == "192.168.56.10:6443");
  rt.outputs().put("m", "init", "token", "abcdef.0123456789abcdef", true);
  CHECK(rt.outputs().public_values("m", "init").count("token") == 0);
}
