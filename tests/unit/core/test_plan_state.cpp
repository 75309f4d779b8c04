// The planner (what `up` does per node) and the state record (atomic writes, lock).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "config/load.hpp"
#include "plan/plan.hpp"
#include "provisioners/provisioner.hpp"
#include "provisioners/shell/shell_spec.hpp"
#include "state/filenames.hpp"
#include "state/lock.hpp"
#include "state/state.hpp"
#include "testutil.hpp"

using vmlab::providers::MachineState;

namespace {

vmlab::config::Topology lab(const vmlab::test::TempDir& dir) {
  const std::string toml = R"(name = "p"
[defaults]
box = "b"
[[node]]
name = "a"
  [[node.provision]]
  name = "s1"
  type = "shell"
  inline = "true"
  [[node.provision]]
  name = "s2"
  type = "shell"
  inline = "true"
  run = "always"
[[node]]
name = "b"
)";
  vmlab::config::LoadOptions o;
  o.use_env = false;
  o.step_types = &vmlab::provisioners::step_types();
  return vmlab::config::load_string(toml, dir / "Vmfile", o);
}

}  // namespace

TEST_CASE("plan: a new lab creates, starts and provisions every node") {
  vmlab::test::TempDir dir;
  auto topo = lab(dir);
  auto p = vmlab::plan::make_plan(topo, {}, {}, {}, false);
  REQUIRE(p.nodes.size() == 2);
  CHECK(p.nodes[0].create);
  CHECK(p.nodes[0].start);
  CHECK(p.nodes[0].steps == std::vector<std::string>{"s1", "s2"});
  CHECK_FALSE(p.nothing_to_do());
  auto lines = vmlab::plan::describe(p);
  CHECK(lines[0] == "a: create, start, wait for SSH, provision [s1, s2]");
  CHECK(lines[1] == "b: create, start, wait for SSH");
}

TEST_CASE("plan: running and provisioned is a no-op except `always` steps") {
  vmlab::test::TempDir dir;
  auto topo = lab(dir);
  vmlab::state::LabRecord rec;
  rec.machines["a"].created = true;
  rec.machines["a"].steps["s1"] = {"t", vmlab::plan::step_digest(topo.nodes[0].provision[0]), {}};
  rec.machines["b"].created = true;
  std::map<std::string, MachineState> live{{"a", MachineState::Running}, {"b", MachineState::Running}};
  auto p = vmlab::plan::make_plan(topo, {}, live, rec, false);
  CHECK(p.nodes[0].steps == std::vector<std::string>{"s2"});
  CHECK(p.nodes[0].skipped_steps == std::vector<std::string>{"s1"});
  CHECK(vmlab::plan::describe(p)[1] == "b: up to date");
  // A changed definition re-runs a "once" step.
  auto changed = std::make_shared<vmlab::provisioners::ShellSettings>(
      topo.nodes[0].provision[0].as<vmlab::provisioners::ShellSettings>());
  changed->inline_script = "echo changed";
  topo.nodes[0].provision[0].settings = changed;
  p = vmlab::plan::make_plan(topo, {"a"}, live, rec, false);
  CHECK(p.nodes.size() == 1);
  CHECK(p.nodes[0].steps == std::vector<std::string>{"s1", "s2"});
}

TEST_CASE("plan: a machine gone from the hypervisor is recreated and reprovisioned") {
  vmlab::test::TempDir dir;
  auto topo = lab(dir);
  vmlab::state::LabRecord rec;
  rec.machines["a"].created = true;
  rec.machines["a"].steps["s1"] = {"t", vmlab::plan::step_digest(topo.nodes[0].provision[0]), {}};
  auto p = vmlab::plan::make_plan(topo, {}, {{"b", MachineState::Stopped}}, rec, false);
  CHECK(p.nodes[0].create);
  CHECK(p.nodes[0].steps.size() == 2);
  CHECK_FALSE(p.nodes[1].create);
  CHECK(p.nodes[1].start);
}

TEST_CASE("plan: selecting an unknown node names the nodes") {
  vmlab::test::TempDir dir;
  auto topo = lab(dir);
  CHECK_THROWS_WITH(vmlab::plan::check_selection(topo, {"zz"}),
                    "no node named \"zz\" in lab \"p\" (nodes: a, b)");
}

TEST_CASE("state: round trip, atomic write leaves no temp files") {
  vmlab::test::TempDir dir;
  vmlab::state::Store s(dir.path());
  s.load();
  s.update([](vmlab::state::LabRecord& r) {
    r.lab_id = "p-123456";
    r.machines["a"].created = true;
    r.machines["a"].ssh_host = "10.0.0.1";
    r.machines["a"].steps["s1"] = {"2026-01-01T00:00:00Z", "abc"};
    r.machines["b"].created = true;
  });
  vmlab::state::Store again(dir.path());
  again.load();
  auto r = again.get();
  CHECK(r.lab_id == "p-123456");
  CHECK(r.machines.size() == 2);
  CHECK(r.machines["a"].ssh_host == "10.0.0.1");
  CHECK(r.machines["a"].steps["s1"].digest == "abc");
  size_t files = 0;
  for ([[maybe_unused]] const auto& e :
       std::filesystem::directory_iterator(vmlab::filenames::state_dir(dir.path())))
    ++files;
  CHECK(files == 1);  // state.json only
}

TEST_CASE("state: a corrupt state.json is a clear error naming the file") {
  vmlab::test::TempDir dir;
  dir.write(".vmlab/state.json", "{not json");
  vmlab::state::Store s(dir.path());
  CHECK_THROWS_WITH_AS(s.load(), doctest::Contains("state.json"), vmlab::Error);
}

TEST_CASE("state: lab ids are stable per directory and differ between directories") {
  vmlab::test::TempDir a, b;
  CHECK(vmlab::state::make_lab_id("k8s", a.path()) == vmlab::state::make_lab_id("k8s", a.path()));
  CHECK(vmlab::state::make_lab_id("k8s", a.path()) != vmlab::state::make_lab_id("k8s", b.path()));
  CHECK(vmlab::state::make_lab_id("k8s", a.path()).rfind("k8s-", 0) == 0);
}

TEST_CASE("lock: a second holder waits until the first releases") {
  vmlab::test::TempDir dir;
  int pipefd[2];
  REQUIRE(pipe(pipefd) == 0);
  pid_t child = fork();
  if (child == 0) {
    vmlab::state::ProjectLock l(dir.path(), {});
    (void)!write(pipefd[1], "x", 1);
    usleep(300 * 1000);
    _exit(0);
  }
  char c;
  REQUIRE(read(pipefd[0], &c, 1) == 1);
  std::string holder;
  auto t0 = std::chrono::steady_clock::now();
  {
    vmlab::state::ProjectLock l(dir.path(), [&](const std::string& h) { holder = h; });
  }
  auto waited = std::chrono::steady_clock::now() - t0;
  int st = 0;
  waitpid(child, &st, 0);
  CHECK(holder == std::to_string(child));
  CHECK(waited >= std::chrono::milliseconds(100));
}
