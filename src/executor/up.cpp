// `up`: plan, then per node (in parallel, boot bounded by default_parallelism()): create,
// start, wait for SSH with the pinned host key, then run the node's steps in order, each
// waiting for its cross-node `after` edges in the shared DAG. A failure stops what depends on
// it; independent nodes finish; the summary names what failed, where, with its last output.
#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <optional>
#include <semaphore>
#include <set>
#include <thread>

#include "boxes/box.hpp"
#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "executor/access.hpp"
#include "executor/cancel.hpp"
#include "executor/dag.hpp"
#include "executor/lab_ops.hpp"
#include "executor/parallel.hpp"
#include "executor/steps.hpp"
#include "plan/plan.hpp"
#include "seed/seed.hpp"

namespace vmlab::executor {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

class UpRun {
 public:
  UpRun(cli::Lab& lab, const plan::Plan& p, Reporter& rep)
      : lab_(lab), plan_(p), rep_(rep), slots_(static_cast<std::ptrdiff_t>(std::min<size_t>(default_parallelism(), 256))) {}

  bool run() {
    settle_outside_plan();
    std::vector<std::thread> threads;
    for (const auto& np : plan_.nodes) threads.emplace_back([this, &np] { run_node(np); });
    for (auto& t : threads) t.join();
    return summarize();
  }

 private:
  // Nodes not selected for this run count as done only if the record says so.
  void settle_outside_plan() {
    auto rec = lab_.store->get();
    std::set<std::string> planned;
    for (const auto& np : plan_.nodes) {
      planned.insert(np.node);
      for (const auto& s : np.skipped_steps) dag_.set(np.node + ":" + s, Settle::Done);
    }
    for (const auto& node : lab_.topo.nodes) {
      if (planned.count(node.name)) continue;
      auto r = rec.machines.find(node.name);
      bool prov = r != rec.machines.end();
      for (const auto& s : node.provision) prov = prov && r->second.steps.count(s.name);
      dag_.set(node.name, prov ? Settle::Done : Settle::Failed,
               "is not part of this run and has not been provisioned");
      for (const auto& s : node.provision) {
        const bool done = r != rec.machines.end() && r->second.steps.count(s.name);
        dag_.set(node.name + ":" + s.name, done ? Settle::Done : Settle::Failed,
                 "is not part of this run and has not run yet");
      }
    }
  }

  void fail(const std::string& node, const std::string& what, const std::deque<std::string>& tail) {
    std::lock_guard lock(mu_);
    std::string msg = what;
    if (!tail.empty()) {
      msg += "\n    last output:";
      for (const auto& l : tail) msg += "\n      " + l;
    }
    failures_.emplace_back(node, msg);
  }

  void settle_rest(const config::Node& node, size_t from, const std::string& reason) {
    for (size_t i = from; i < node.provision.size(); ++i)
      if (dag_.get(node.name + ":" + node.provision[i].name) == Settle::Pending)
        dag_.set(node.name + ":" + node.provision[i].name, Settle::Failed, reason);
    dag_.set(node.name, Settle::Failed, reason);
  }

  providers::SshEndpoint endpoint(const std::string& node) {
    for (const auto& m : lab_.provider->list(lab_.lab_id))
      if (m.name == node && m.ssh) return *m.ssh;
    throw ProviderError("{}: the provider reports no SSH endpoint", node);
  }

  communicator::SshSession connect(const config::Node& node, std::chrono::seconds budget) {
    const auto ep = endpoint(node.name);
    auto target = ssh_target(lab_, node, ep);
    rep_.event(node.name, "waiting-ssh", fmt::format("waiting for SSH on {}:{}", ep.host, ep.port));
    const auto t0 = Clock::now();
    try {
      auto s = communicator::wait_ready(target, t0 + budget, [&](const communicator::Attempt& a) {
        log::debug("up", "{}: attempt {}: {}", a.node, a.number, a.message);
        check_cancel();
      });
      lab_.store->update([&](state::LabRecord& r) {
        r.machines[node.name].ssh_host = ep.host;
        r.machines[node.name].ssh_port = ep.port;
      });
      rep_.event(node.name, "ready", fmt::format("ready (SSH, host key verified) in {:.1f}s", since(t0)));
      return s;
    } catch (const SshError& e) {
      std::string tail = lab_.provider->console_tail(lab_.lab_id, node.name, 15);
      std::string msg = e.what();
      if (!tail.empty()) {
        msg += "\n    serial console (last lines):";
        size_t start = 0;
        while (start < tail.size()) {
          size_t nl = tail.find('\n', start);
          if (nl == std::string::npos) nl = tail.size();
          msg += "\n      " + tail.substr(start, nl - start);
          start = nl + 1;
        }
      }
      throw SshError(msg);
    }
  }

  // On a box configured by real cloud-init, SSH answers before cloud-init is done (users,
  // files, network); provisioning starts only once it has finished.
  void wait_for_cloud_init(communicator::SshSession& session, const config::Node& node) {
    auto box = boxes::find_box(node.box);
    if (!box || box->seed != "cloud-init") return;
    rep_.event(node.name, "cloud-init", "waiting for cloud-init to finish");
    communicator::ExecOptions eo;
    eo.timeout = settings::seconds("VMLAB_BOOT_TIMEOUT");
    session.exec("command -v cloud-init >/dev/null 2>&1 || exit 0; cloud-init status --wait >/dev/null 2>&1; true", eo);
  }

  void boot(const plan::NodePlan& np, const config::Node& node) {
    slots_.acquire();
    struct Release {
      std::counting_semaphore<256>& s;
      ~Release() { s.release(); }
    } release{slots_};
    check_cancel();
    if (np.create) {
      rep_.event(node.name, "creating",
                 fmt::format("creating ({}, {} CPU, {} MiB)", node.box, node.cpus, node.memory_mib));
      providers::MachineSpec spec;
      spec.topo = &lab_.topo;
      spec.node = &node;
      spec.lab_id = lab_.lab_id;
      spec.keys = machine_keys(lab_, node);
      spec.hosts_file = seed::hosts_file(lab_.topo);
      lab_.provider->create(spec, [&](const std::string& n, const std::string& m) {
        rep_.event(n, "progress", m);
      });
      lab_.store->update([&](state::LabRecord& r) {
        auto& m = r.machines[node.name];
        m = state::MachineRecord{};
        m.created = true;
      });
      check_cancel();
    }
    if (np.start) {
      rep_.event(node.name, "starting", "starting");
      lab_.provider->start(lab_.lab_id, node.name);
    }
  }

  void run_node(const plan::NodePlan& np) {
    const config::Node& node = *lab_.topo.find_node(np.node);
    size_t step_i = 0;
    try {
      std::optional<communicator::SshSession> session;
      if (np.create || np.start) {
        boot(np, node);
        session.emplace(connect(node, settings::seconds("VMLAB_BOOT_TIMEOUT")));
        wait_for_cloud_init(*session, node);
      }
      for (; step_i < node.provision.size(); ++step_i) {
        const auto& step = node.provision[step_i];
        const std::string key = node.name + ":" + step.name;
        if (std::find(np.steps.begin(), np.steps.end(), step.name) == np.steps.end()) continue;
        if (!step.after.empty()) {
          std::string edges;
          for (const auto& e : step.after) edges += (edges.empty() ? "" : ", ") + e;
          rep_.event(node.name, "step-wait", fmt::format("{}: waiting for {}", step.name, edges));
          std::string reason;
          if (!dag_.wait(step.after, reason)) {
            check_cancel();  // interrupted while waiting: reported as an interruption
            fail(node.name, fmt::format("step {} not run: it {}", step.name, reason), {});
            settle_rest(node, step_i, fmt::format("was blocked ({})", reason));
            return;
          }
        }
        check_cancel();
        if (!session) session.emplace(connect(node, settings::seconds("VMLAB_CONNECT_TIMEOUT")));
        rep_.event(node.name, "step-start", fmt::format("{}: running ({})", step.name, step.type),
                   {{"step", step.name}});
        const auto t0 = Clock::now();
        std::deque<std::string> tail;
        try {
          run_step(*session, lab_, node, step, [&](std::string_view line, bool err) {
            tail.emplace_back(line);
            if (tail.size() > 10) tail.pop_front();
            rep_.output(node.name, std::string(line), err);
          });
        } catch (const std::exception& e) {
          fail(node.name, fmt::format("step {} ({}) failed after {:.1f}s: {}", step.name, step.type,
                                      since(t0), e.what()),
               tail);
          rep_.event(node.name, "step-failed", fmt::format("{}: FAILED: {}", step.name, e.what()),
                     {{"step", step.name}});
          settle_rest(node, step_i, fmt::format("failed on {}", node.name));
          return;
        }
        const std::string digest = plan::step_digest(step);
        lab_.store->update([&](state::LabRecord& r) {
          r.machines[node.name].steps[step.name] = {state::now_iso8601(), digest};
        });
        dag_.set(key, Settle::Done);
        rep_.event(node.name, "step-done", fmt::format("{}: done in {:.1f}s", step.name, since(t0)),
                   {{"step", step.name}});
      }
      lab_.store->update([&](state::LabRecord& r) {
        auto& m = r.machines[node.name];
        bool all = true;
        for (const auto& s : node.provision) all = all && m.steps.count(s.name);
        m.provisioned = all;
      });
      dag_.set(node.name, Settle::Done);
      rep_.event(node.name, "up", "up");
    } catch (const Interrupted&) {
      fail(node.name, "interrupted (run `vmlab up` again to finish)", {});
      settle_rest(node, step_i, "was interrupted");
    } catch (const std::exception& e) {
      fail(node.name, e.what(), {});
      rep_.event(node.name, "failed", fmt::format("FAILED: {}", e.what()));
      settle_rest(node, step_i, fmt::format("failed on {}", node.name));
    }
  }

  bool summarize() {
    if (failures_.empty()) {
      rep_.summary(true, {fmt::format("lab {} is up ({} nodes)", lab_.topo.name, plan_.nodes.size())});
      return true;
    }
    std::vector<std::string> lines{fmt::format("up failed on {} of {} node(s):", failures_.size(),
                                               plan_.nodes.size())};
    for (const auto& [node, msg] : failures_) lines.push_back(fmt::format("  {}: {}", node, msg));
    rep_.summary(false, lines);
    return false;
  }

  cli::Lab& lab_;
  const plan::Plan& plan_;
  Reporter& rep_;
  Dag dag_;
  std::counting_semaphore<256> slots_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> failures_;
};

}  // namespace

bool up(cli::Lab& lab, const UpOptions& opts, Reporter& rep) {
  plan::check_selection(lab.topo, opts.nodes);
  install_cancel_handlers();
  lab.store->update([&](state::LabRecord& r) {
    if (r.lab_id.empty()) r.lab_id = lab.lab_id;
    r.provider = lab.topo.provider;
  });
  std::map<std::string, providers::MachineState> states;
  for (const auto& [n, info] : lab.live(true)) states[n] = info.state;
  auto p = plan::make_plan(lab.topo, opts.nodes, states, lab.store->get(), opts.provision_all);
  if (!opts.provision)
    for (auto& n : p.nodes) n.steps.clear();
  if (p.nothing_to_do()) {
    rep.summary(true, {fmt::format("lab {} is up: nothing to do", lab.topo.name)});
    return true;
  }
  ensure_keys(lab);
  lab.provider->check(lab.topo, lab.lab_id);
  if (!lab.provider->capabilities().port_forwards)
    for (const auto& n : p.nodes)
      if (!lab.topo.find_node(n.node)->forwards.empty() && (n.create || n.start))
        rep.event(n.node, "warning",
                  fmt::format("warning: the {} provider does not forward ports yet; reach the "
                              "guest's ports on its lab address instead",
                              lab.topo.provider));
  if (std::any_of(p.nodes.begin(), p.nodes.end(), [](const auto& n) { return n.create || n.start; })) {
    rep.lab("preparing lab networks");
    lab.provider->prepare_lab(lab.topo, lab.lab_id);
  }
  UpRun run(lab, p, rep);
  bool ok = run.run();
  if (cancelled()) throw Interrupted();
  return ok;
}

}  // namespace vmlab::executor
