// The executor on the fake provider and fake remotes: DAG failure propagation, Ctrl-C at
// each step boundary, `after` edges across 100 nodes, reconciling a record that disagrees
// with the provider, the capability flags, provider warnings through the reporter.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "core/error.hpp"
#include "executor/capabilities.hpp"
#include "executor/parallel.hpp"
#include "fake_lab.hpp"

using vmlab::providers::MachineState;
using vmlab::test::FakeLab;
namespace executor = vmlab::executor;

namespace {

std::string shell(const std::string& name, const std::string& script,
                  const std::string& after = "") {
  return fmt::format("  [[node.provision]]\n  name = \"{}\"\n  type = \"shell\"\n  inline = \"{}\"\n{}",
                     name, script, after.empty() ? "" : "  after = [\"" + after + "\"]\n");
}

}  // namespace

TEST_CASE("up: a failed step blocks what depends on it; independent nodes finish") {
  FakeLab f("name = \"dag\"\n[defaults]\nbox = \"b\"\n"
            "[[node]]\nname = \"a\"\n" + shell("s1", "exit 1") +
            "[[node]]\nname = \"b\"\n" + shell("s1", "echo b", "a") +
            "[[node]]\nname = \"c\"\n" + shell("s1", "echo c") +
            "[[node]]\nname = \"d\"\n" + shell("s1", "echo d", "b:s1"));
  CHECK_FALSE(f.up());
  CHECK(f.guests.scripts_of("a") == std::vector<std::string>{"exit 1"});
  CHECK(f.guests.scripts_of("b").empty());  // blocked by a
  CHECK(f.guests.scripts_of("d").empty());  // blocked by b, transitively
  CHECK(f.guests.scripts_of("c") == std::vector<std::string>{"echo c"});
  CHECK(f.step_done("c", "s1"));
  CHECK_FALSE(f.step_done("a", "s1"));
  CHECK(f.lab.store->get().machines["c"].provisioned);
  CHECK_FALSE(f.lab.store->get().machines["b"].provisioned);
  CHECK(f.provider->creates == 4);  // every machine was still made

  // Fixed: the next `up` runs what failed or was blocked, and only that.
  f.guests.run = [](const std::string&, const std::string&) { return 0; };
  CHECK(f.up());
  CHECK(f.guests.scripts_of("c").size() == 1);
  CHECK(f.guests.scripts_of("b") == std::vector<std::string>{"echo b"});
  CHECK(f.guests.position("b", "echo b") > f.guests.position("a", "exit 1"));
  CHECK(f.guests.position("d", "echo d") > f.guests.position("b", "echo b"));
}

TEST_CASE("up: Ctrl-C at each step boundary stops there; the next up finishes the rest") {
  const int kSteps = 4;
  std::string toml = "name = \"cc\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"a\"\n";
  for (int i = 1; i <= kSteps; ++i) toml += shell(fmt::format("s{}", i), fmt::format("echo {}", i));
  // k = 0: Ctrl-C while the machine is being created; k = i: while step i runs.
  for (int k = 0; k <= kSteps; ++k) {
    CAPTURE(k);
    FakeLab f(toml);
    if (k == 0)
      f.provider->on_create = [](const vmlab::providers::MachineRef&) { executor::request_cancel(); };
    f.guests.run = [k](const std::string&, const std::string& script) {
      if (script == fmt::format("echo {}", k)) executor::request_cancel();
      return 0;
    };
    CHECK_THROWS_AS(f.up(), vmlab::Interrupted);
    for (int i = 1; i <= kSteps; ++i) CHECK(f.step_done("a", fmt::format("s{}", i)) == (i <= k));
    CHECK(f.lab.store->get().machines["a"].created);
    CHECK(f.guests.scripts_of("a").size() == static_cast<size_t>(k));

    executor::reset_cancel();
    f.provider->on_create = nullptr;
    CHECK(f.up());
    CHECK(f.provider->creates == 1);  // the machine made before Ctrl-C is kept
    CHECK(f.guests.scripts_of("a").size() == static_cast<size_t>(kSteps));  // none twice
    for (int i = 1; i <= kSteps; ++i) CHECK(f.step_done("a", fmt::format("s{}", i)));
  }
}

TEST_CASE("up: `after` edges across 100 in-process nodes, boot bounded by VMLAB_PARALLEL") {
  setenv("VMLAB_PARALLEL", "4", 1);
  // A chain n1 <- n2 <- ... <- n100 (each waits for the previous one), written in reverse so
  // that Vmfile order does not help.
  std::string toml = "name = \"chain\"\n[defaults]\nbox = \"b\"\n";
  for (int i = 100; i >= 1; --i)
    toml += fmt::format("[[node]]\nname = \"n{}\"\n", i) +
            shell("s", fmt::format("echo {}", i), i > 1 ? fmt::format("n{}", i - 1) : "");
  FakeLab f(toml);
  CHECK(f.up());
  unsetenv("VMLAB_PARALLEL");
  CHECK(f.provider->creates == 100);
  CHECK(f.provider->max_creating <= 4);
  for (int i = 2; i <= 100; ++i) {
    CAPTURE(i);
    CHECK(f.guests.position(fmt::format("n{}", i), fmt::format("echo {}", i)) >
          f.guests.position(fmt::format("n{}", i - 1), fmt::format("echo {}", i - 1)));
  }
  CHECK(f.up());  // no-op
  CHECK(f.provider->creates == 100);
  CHECK(f.guests.ran.size() == 100);
}

TEST_CASE("up asks the provider about one machine (info), not the whole lab, per node") {
  FakeLab f("name = \"one\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"n{i}\"\ncount = 5\n" +
            shell("s", "true"));
  CHECK(f.up());
  CHECK(f.provider->lists == 1);  // the reconcile before planning
  CHECK(f.provider->infos == 5);  // each node's SSH endpoint after start
}

TEST_CASE("reconcile: a record that disagrees with the provider follows the provider") {
  FakeLab f("name = \"rec\"\n[defaults]\nbox = \"b\"\n"
            "[[node]]\nname = \"gone\"\n" + shell("s", "echo gone") +
            "[[node]]\nname = \"there\"\n" + shell("s", "echo there"));
  CHECK(f.up());
  // Behind vmlab's back: "gone" is deleted in the hypervisor; "there" is forgotten by the
  // record (a crash between create and the record update).
  {
    std::lock_guard lock(f.provider->mu);
    f.provider->machines.erase("gone");
  }
  f.lab.store->update([](vmlab::state::LabRecord& r) { r.machines["there"].created = false; });

  auto live = f.lab.live(true);
  auto rec = f.lab.store->get();
  CHECK_FALSE(rec.machines["gone"].created);
  CHECK(rec.machines["gone"].steps.empty());  // its provisioning record went with it
  CHECK_FALSE(rec.machines["gone"].provisioned);
  CHECK(rec.machines["there"].created);
  CHECK(rec.machines["there"].steps.count("s"));  // kept: the machine is still there

  CHECK(f.up());
  CHECK(f.provider->creates == 3);  // only "gone" was made again
  CHECK(f.guests.scripts_of("gone").size() == 2);   // and provisioned again
  CHECK(f.guests.scripts_of("there").size() == 1);  // not
}

TEST_CASE("reconcile is pure: forgets what the provider lacks, adopts what it has") {
  vmlab::state::LabRecord rec;
  rec.machines["a"].created = true;
  rec.machines["a"].steps["s"] = {"t", "d"};
  rec.machines["b"].created = false;
  rec.machines["c"] = {};  // never created, not listed: unchanged
  std::map<std::string, vmlab::providers::MachineInfo> live;
  live["b"] = {"b", MachineState::Stopped, std::nullopt};
  live["a"] = {"a", MachineState::NotCreated, std::nullopt};  // half-made counts as missing
  CHECK(vmlab::lab::reconcile(rec, live));
  CHECK_FALSE(rec.machines["a"].created);
  CHECK(rec.machines["a"].steps.empty());
  CHECK(rec.machines["b"].created);
  CHECK_FALSE(vmlab::lab::reconcile(rec, live));  // settled
}

TEST_CASE("capabilities: no parallel_create serialises create(); no private networks refuses") {
  setenv("VMLAB_PARALLEL", "8", 1);
  {
    FakeLab f("name = \"ser\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"n{i}\"\ncount = 8\n");
    f.provider->caps.parallel_create = false;
    f.provider->on_create = [](const vmlab::providers::MachineRef&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    };
    CHECK(f.up());
    CHECK(f.provider->creates == 8);
    CHECK(f.provider->max_creating == 1);
  }
  unsetenv("VMLAB_PARALLEL");
  FakeLab f("name = \"net\"\n[defaults]\nbox = \"b\"\n[[network]]\nname = \"lab\"\n"
            "cidr = \"192.168.56.0/24\"\n[[node]]\nname = \"a\"\nip = \"192.168.56.10\"\n");
  f.provider->caps.private_networks = false;
  CHECK_THROWS_AS(f.up(), vmlab::UsageError);
  CHECK(f.provider->creates == 0);
  CHECK_THROWS_AS(executor::require_snapshots(f.lab.topo, f.provider->caps), vmlab::UsageError);
  CHECK_THROWS_AS(f.provider->snapshot_list(f.lab.ref("a")), vmlab::ProviderError);
  f.provider->caps.snapshots = true;
  CHECK_NOTHROW(executor::require_snapshots(f.lab.topo, f.provider->caps));
}

TEST_CASE("provider warnings go to the reporter while a command runs") {
  FakeLab f("name = \"warn\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"a\"\n");
  std::vector<std::pair<std::string, std::string>> seen;
  f.lab.provider->set_warning_sink(
      [&](const std::string& n, const std::string& m) { seen.emplace_back(n, m); });
  f.provider->emit_warning("a", "port moved");
  CHECK(seen == std::vector<std::pair<std::string, std::string>>{{"a", "port moved"}});
  // During `up` the executor points the sink at its reporter and takes it back afterwards.
  f.provider->on_create = [&](const vmlab::providers::MachineRef& m) {
    f.provider->emit_warning(m.node, "during up");
  };
  std::string out;
  {
    vmlab::test::CaptureStdout cap;
    CHECK(f.up());
    out = cap.text();
  }
  CHECK(seen.size() == 1);  // not the test's sink: the reporter's
  CHECK(out.find(R"({"event":"warning","message":"warning: during up","node":"a"})") !=
        std::string::npos);
  f.provider->emit_warning("a", "after");
  CHECK(seen.size() == 1);  // unset again: the log
}

TEST_CASE("parallel_for: bounded, collects every failure, joins on every path") {
  std::vector<std::string> items;
  for (int i = 0; i < 20; ++i) items.push_back(std::to_string(i));
  std::atomic<int> now{0}, most{0};
  auto failures = executor::parallel_for(items, 3, [&](const std::string& s) {
    int n = ++now;
    for (int m = most; n > m && !most.compare_exchange_weak(m, n);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --now;
    if (std::stoi(s) % 5 == 0) throw vmlab::Error("bad {}", s);
  });
  CHECK(most <= 3);
  CHECK(failures.size() == 4);
  CHECK(failures["15"] == "bad 15");
}

TEST_CASE("destroy NODE: only that machine and its record; the next up makes it afresh") {
  FakeLab f(
      "name = \"dn\"\n[defaults]\nbox = \"b\"\n"
      "[[node]]\nname = \"a\"\n" +
      shell("s1", "echo a") + "[[node]]\nname = \"b\"\n" + shell("s1", "echo b", "a"));
  REQUIRE(f.up());
  executor::Reporter rep(true, executor::node_names(f.lab.topo));
  CHECK(executor::destroy(f.lab, rep, {"b"}));
  {
    std::lock_guard lock(f.provider->mu);
    CHECK(f.provider->machines.count("a") == 1);
    CHECK(f.provider->machines.count("b") == 0);
  }
  CHECK(f.lab.store->get().machines.count("b") == 0);
  CHECK(f.step_done("a", "s1"));
  CHECK(std::filesystem::exists(f.lab.topo.project_dir / ".vmlab" / "state.json"));

  // The next up creates b again and runs its step (a's edge is satisfied by a's record); a is
  // left alone.
  const int creates = f.provider->creates;
  CHECK(f.up());
  CHECK(f.provider->creates == creates + 1);
  CHECK(f.guests.scripts_of("a").size() == 1);
  CHECK(f.guests.scripts_of("b").size() == 2);
  CHECK(f.step_done("b", "s1"));
}
