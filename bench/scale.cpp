// In-process scale benchmark (issue 13 §3): how the CPU cost of vmlab's own work grows with
// the lab, with no hypervisor and no SSH (the fake provider and remotes of tests/fakes).
//   parse+validate  config::load_string of a generated Vmfile (every node: ip, cpus, memory,
//                   one shell step, `after` edges to 3 earlier nodes' steps)
//   plan            plan::make_plan for a new lab, and for a lab that is up and provisioned
//                   (every step's digest compared with the record: the no-op `up`)
//   dag             executor::Dag: every step waits for its edges and settles, in file order
//   up (fake)       executor::up end to end on the fake provider: one thread per node, the
//                   real DAG, a state.json write per machine and per step
// Built only when asked (`ninja -C build scale_bench`); bench/scale.sh runs it and prints a
// table. Output: one tab-separated row per measure: name, nodes, median ms, min ms, max ms.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "config/load.hpp"
#include "executor/dag.hpp"
#include "plan/plan.hpp"
#include "provisioners/provisioner.hpp"
#include "unit/core/fake_lab.hpp"

namespace {

using namespace vmlab;
using Clock = std::chrono::steady_clock;

// The i-th node's earlier nodes it waits for: up to 3, spread (deterministic).
std::vector<int> edges_of(int i) {
  std::vector<int> out;
  std::uint32_t x = 2654435761u * static_cast<std::uint32_t>(i + 1);
  for (int k = 0; k < 3 && i > 0; ++k) {
    x = x * 1664525u + 1013904223u;
    int t = static_cast<int>(x % static_cast<std::uint32_t>(i));
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  }
  return out;
}

// A Vmfile of `n` nodes on one /16 network: n1 .. nN, each with one shell step "s" that runs
// after the step "s" of up to 3 earlier nodes.
std::string vmfile(int n) {
  std::string t =
      "name = \"scale\"\n[defaults]\nbox = \"b\"\nmemory = \"256MiB\"\n"
      "[[network]]\nname = \"lab\"\ncidr = \"10.20.0.0/16\"\n";
  for (int i = 0; i < n; ++i) {
    t += fmt::format("[[node]]\nname = \"n{}\"\nip = \"10.20.{}.{}\"\ncpus = 1\n", i + 1,
                     (i + 2) / 250, (i + 2) % 250 + 1);
    t += "  [[node.provision]]\n  name = \"s\"\n  type = \"shell\"\n  inline = \"echo ok\"\n";
    auto e = edges_of(i);
    if (!e.empty()) {
      t += "  after = [";
      for (size_t k = 0; k < e.size(); ++k)
        t += fmt::format("{}\"n{}:s\"", k ? ", " : "", e[k] + 1);
      t += "]\n";
    }
  }
  return t;
}

config::Topology load(const std::string& text) {
  config::LoadOptions o;
  o.use_env = false;
  o.step_types = &provisioners::step_types();
  return config::load_string(text, "Vmfile", o);
}

struct Row {
  std::string name;
  int nodes;
  std::vector<double> ms;
};

Row measure(const std::string& name, int nodes, int runs, const std::function<void()>& fn) {
  Row r{name, nodes, {}};
  for (int i = 0; i < runs; ++i) {
    const auto t0 = Clock::now();
    fn();
    r.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return r;
}

void print(Row r) {
  std::sort(r.ms.begin(), r.ms.end());
  fmt::print("{}\t{}\t{:.2f}\t{:.2f}\t{:.2f}\n", r.name, r.nodes, r.ms[r.ms.size() / 2],
             r.ms.front(), r.ms.back());
  std::fflush(stdout);
}

int arg(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return std::atoi(argv[i + 1]);
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int plan_nodes = arg(argc, argv, "--plan-nodes", 1000);
  const int parse_nodes = arg(argc, argv, "--parse-nodes", 10000);
  const int up_nodes = arg(argc, argv, "--up-nodes", 200);
  const int runs = std::max(1, arg(argc, argv, "--runs", 5));

  const std::string big = vmfile(parse_nodes);
  print(measure("parse+validate", parse_nodes, runs, [&] { (void)load(big); }));

  const std::string text = vmfile(plan_nodes);
  print(measure("parse+validate", plan_nodes, runs, [&] { (void)load(text); }));
  const config::Topology topo = load(text);

  std::map<std::string, providers::MachineState> none, running;
  state::LabRecord fresh, done;
  for (const auto& n : topo.nodes) {
    running[n.name] = providers::MachineState::Running;
    auto& m = done.machines[n.name];
    m.created = m.provisioned = true;
    for (const auto& s : n.provision)
      m.steps[s.name] = {"2026-01-01T00:00:00Z", plan::step_digest(s), {}};
  }
  print(measure("plan (new lab)", plan_nodes, runs,
                [&] { (void)plan::make_plan(topo, {}, none, fresh, false); }));
  print(measure("plan (up, provisioned)", plan_nodes, runs, [&] {
    auto p = plan::make_plan(topo, {}, running, done, false);
    if (!p.nothing_to_do()) std::abort();
  }));
  print(measure("dag (settle in order)", plan_nodes, runs, [&] {
    executor::Dag dag;
    std::string reason;
    for (const auto& n : topo.nodes)
      for (const auto& s : n.provision) {
        if (!dag.wait(s.after, reason)) std::abort();
        dag.set(n.name + ":" + s.name, executor::Settle::Done);
      }
  }));

  if (up_nodes > 0) {
    const std::string up_text = vmfile(up_nodes);
    Row r{"up (fake provider)", up_nodes, {}};
    for (int i = 0; i < std::min(runs, 3); ++i) {
      test::FakeLab f(up_text);   // a fresh lab (temp dir, record, keys): not timed
      test::CaptureStdout quiet;  // the reporter's event lines
      const auto t0 = Clock::now();
      if (!f.up()) std::abort();
      r.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    print(r);
  }
  return 0;
}
