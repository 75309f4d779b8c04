// `up`: plan, then per node (in parallel, boot bounded by default_parallelism()): create,
// start, wait for SSH with the pinned host key, then run the node's steps in order, each
// waiting for its cross-node `after` edges in the shared DAG. A failure stops what depends on
// it; independent nodes finish; the summary names what failed, where, with its last output,
// and where each node's time went (PhaseClock: queued, create, boot, cloud-init, wait, steps).
#include <fmt/format.h>

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <semaphore>
#include <set>
#include <thread>
#include <tuple>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "executor/access.hpp"
#include "executor/addresses.hpp"
#include "executor/cancel.hpp"
#include "executor/capabilities.hpp"
#include "executor/dag.hpp"
#include "executor/fetch_boxes.hpp"
#include "executor/first_login.hpp"
#include "executor/forwards.hpp"
#include "executor/lab_ops.hpp"
#include "executor/parallel.hpp"
#include "executor/phases.hpp"
#include "executor/steps.hpp"
#include "executor/sync.hpp"
#include "plan/plan.hpp"
#include "seed/seed.hpp"

namespace vmlab::executor {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Holds one of `s`'s slots for a scope.
class Slot {
 public:
  explicit Slot(std::counting_semaphore<256>& s) : s_(s) { s_.acquire(); }
  ~Slot() { s_.release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

 private:
  std::counting_semaphore<256>& s_;
};

std::ptrdiff_t slot_count() {
  return static_cast<std::ptrdiff_t>(std::min<size_t>(default_parallelism(), 256));
}

class UpRun {
 public:
  UpRun(lab::Lab& lab, const plan::Plan& p, const UpOptions& opts, Reporter& rep,
        const ConnectFn& connect)
      : lab_(lab),
        plan_(p),
        address_wait_(opts.address_wait
                          ? *opts.address_wait
                          : std::chrono::milliseconds(settings::seconds("VMLAB_ADDRESS_WAIT", 0))),
        rep_(rep),
        connect_fn_(connect),
        runtime_(lab, connect),
        caps_(lab.provider->capabilities()),
        boot_slots_(slot_count()),
        step_slots_(slot_count()) {}

  // One thread per node (a node waiting for an `after` edge holds no slot); machine
  // operations and steps each take one of VMLAB_PARALLEL slots. A thread that cannot be
  // started fails its node (and so what depends on it) instead of terminating.
  bool run() {
    settle_outside_plan();
    {
      std::vector<std::jthread> threads;
      threads.reserve(plan_.nodes.size());
      for (const auto& np : plan_.nodes) {
        try {
          threads.emplace_back([this, &np] { run_node(np); });
        } catch (const std::system_error& e) {
          const config::Node& node = *lab_.topo.find_node(np.node);
          fail(node.name, fmt::format("could not start a worker thread: {}", e.what()), {});
          settle_rest(node, 0, fmt::format("failed on {}", node.name));
        }
      }
    }  // joins
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

  // Asked after every start: a port-forwarding provider may have moved the endpoint.
  providers::SshEndpoint endpoint(const std::string& node) {
    auto m = lab_.provider->info(lab_.ref(node));
    if (m.ssh) return *m.ssh;
    throw ProviderError("{}: the provider reports no SSH endpoint", node);
  }

  std::unique_ptr<communicator::Remote> connect(const config::Node& node,
                                                std::chrono::seconds budget) {
    const auto ep = endpoint(node.name);
    auto target = ssh_target(lab_, node, ep);
    rep_.event(node.name, "waiting-ssh", fmt::format("waiting for SSH on {}:{}", ep.host, ep.port),
               {{"via", caps_.ssh_via_port_forward ? "port-forward" : "lab-address"}});
    const auto t0 = Clock::now();
    try {
      auto s = connect_fn_(target, t0 + budget, [] { check_cancel(); });
      lab_.store->update([&](state::LabRecord& r) {
        r.machines[node.name].ssh_host = ep.host;
        r.machines[node.name].ssh_port = ep.port;
      });
      rep_.event(node.name, "ready", fmt::format("ready (SSH, host key verified) in {:.1f}s", since(t0)));
      return s;
    } catch (const SshError& e) {
      std::string tail = lab_.provider->console_tail(lab_.ref(node.name), 15);
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

  // After SSH answers, in one command: wait for the guest's own first-boot configuration
  // (SSH may answer before it is done; the box says which, boxes::guest_init), then list the
  // guest's addresses. Every lab NIC must carry its static address before provisioning
  // starts; one may appear a moment after sshd, so a missing one is asked for again, for up
  // to address_wait_, then the node fails naming the NIC, the address and the likely cause.
  void settle_guest(communicator::Remote& session, const config::Node& node, PhaseClock& clock) {
    const auto box = boxes::find_box(node.box);
    const auto init = box ? boxes::guest_init(*box) : std::nullopt;
    auto lab_nics = seed::nics_for(lab_.lab_id, node);
    std::erase_if(lab_nics, [](const seed::Nic& n) { return n.address.empty(); });
    if (address_wait_ == std::chrono::milliseconds::zero()) lab_nics.clear();  // check is off
    std::string cmd = init ? "(" + init->wait_command + ")" : "";
    if (!lab_nics.empty()) cmd += (cmd.empty() ? "" : "; ") + std::string(kListAddressesCommand);
    if (cmd.empty()) return;
    if (init) {
      clock.enter(init->name);
      rep_.event(node.name, init->name, fmt::format("waiting for {} to finish", init->name));
    } else {
      clock.enter("address-check");
    }
    auto run = [&](const std::string& c, std::chrono::seconds timeout) {
      std::string out;
      communicator::ExecOptions eo;
      eo.timeout = timeout;
      eo.on_stdout_line = [&](std::string_view l) { (out += l) += '\n'; };
      const int rc = session.exec(c, eo);
      return std::pair{rc, out};
    };
    auto [rc, out] = run(cmd, settings::seconds("VMLAB_BOOT_TIMEOUT"));
    if (lab_nics.empty()) return;
    clock.enter("address-check");
    const auto t0 = Clock::now();
    for (;;) {
      const auto nics = parse_ip_addresses(out);
      if (!nics) {
        rep_.warning(node.name, fmt::format("could not check its lab addresses: the guest's `ip` "
                                            "listed no interface (exit status {})",
                                            rc));
        return;
      }
      const auto missing = missing_addresses(lab_nics, *nics);
      if (missing.empty()) return;
      const auto left = address_wait_ - (Clock::now() - t0);
      if (left <= Clock::duration::zero())
        throw Error(describe_missing(missing, missing_address_cause(box), since(t0)));
      log::debug("up", "{}: {} lab address(es) not there yet", node.name, missing.size());
      std::this_thread::sleep_for(std::min<Clock::duration>(left, std::chrono::milliseconds(500)));
      check_cancel();
      std::tie(rc, out) = run(kListAddressesCommand, settings::seconds("VMLAB_CONNECT_TIMEOUT"));
    }
  }

  void boot(const plan::NodePlan& np, const config::Node& node, PhaseClock& clock) {
    Slot slot(boot_slots_);
    check_cancel();
    if (np.create) {
      clock.enter("create");
      rep_.event(node.name, "creating",
                 fmt::format("creating ({}, {} CPU, {} MiB)", node.box, node.cpus, node.memory_mib),
                 {{"disk", caps_.linked_clones ? "linked-clone" : "full-copy"}});
      providers::MachineSpec spec;
      spec.ref = lab_.ref(node.name);
      spec.topo = &lab_.topo;
      spec.node = &node;
      spec.keys = machine_keys(lab_, node);
      spec.hosts_file = seed::hosts_file(lab_.topo);
      {
        // A provider without parallel_create gets one create() at a time.
        std::unique_lock serial(create_mu_, std::defer_lock);
        if (!caps_.parallel_create) serial.lock();
        lab_.provider->create(spec, [&](const std::string& n, const std::string& m) {
          rep_.event(n, "progress", m);
        });
      }
      lab_.store->update([&](state::LabRecord& r) {
        auto& m = r.machines[node.name];
        m = state::MachineRecord{};
        m.created = true;
        m.box = node.box;  // `vmlab box remove` asks which labs use a box
      });
      check_cancel();
    }
    if (np.start) {
      clock.enter("boot");
      rep_.event(node.name, "starting", "starting");
      lab_.provider->start(lab_.ref(node.name));
    }
  }

  // Runs one node and records where its time went, however it ends.
  void run_node(const plan::NodePlan& np) {
    PhaseClock clock(np.create || np.start ? "queued" : "wait");
    run_node(np, clock);
    clock.finish();
    std::lock_guard lock(mu_);
    phases_[np.node] = {clock.phases(), clock.total()};
  }

  void run_node(const plan::NodePlan& np, PhaseClock& clock) {
    const config::Node& node = *lab_.topo.find_node(np.node);
    size_t step_i = 0;
    try {
      std::unique_ptr<communicator::Remote> session;
      if (np.create || np.start) {
        boot(np, node, clock);
        clock.enter("boot");  // the wait for SSH is the guest's boot
      }
      // A box without seed (Vagrant) is configured at its first login: after create(), or
      // again when an earlier one did not finish; a no-op otherwise.
      first_boot(
          lab_, node, np.create, [&] { return endpoint(node.name); },
          Clock::now() + settings::seconds("VMLAB_BOOT_TIMEOUT"), rep_);
      if (np.create || np.start) {
        session = connect(node, settings::seconds("VMLAB_BOOT_TIMEOUT"));
        settle_guest(*session, node, clock);
      }
      if (!node.syncs.empty()) {  // after every start (mounts), at every up (copies)
        if (!session) {
          clock.enter("ssh");
          session = connect(node, settings::seconds("VMLAB_CONNECT_TIMEOUT"));
        }
        clock.enter("sync");
        sync_folders(*session, *lab_.provider, lab_.topo, node, rep_);
      }
      for (; step_i < node.provision.size(); ++step_i) {
        const auto& step = node.provision[step_i];
        const std::string key = node.name + ":" + step.name;
        if (std::find(np.steps.begin(), np.steps.end(), step.name) == np.steps.end()) continue;
        clock.enter("wait");  // for `after` edges and a step slot
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
        Slot slot(step_slots_);  // a step holds a slot; waiting for an edge does not
        check_cancel();
        if (!session) {
          clock.enter("ssh");
          session = connect(node, settings::seconds("VMLAB_CONNECT_TIMEOUT"));
        }
        clock.enter("steps");
        rep_.event(node.name, "step-start", fmt::format("{}: running ({})", step.name, step.type),
                   {{"step", step.name}});
        const auto t0 = Clock::now();
        std::deque<std::string> tail;
        try {
          runtime_.run_step(*session, node, step, [&](std::string_view line, bool err) {
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
          r.machines[node.name].steps[step.name] = {
              state::now_iso8601(), digest, runtime_.outputs().public_values(node.name, step.name)};
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

  // What failed (if anything), then one line per node: where its time went.
  bool summarize() {
    std::vector<std::string> lines;
    if (failures_.empty()) {
      lines.push_back(fmt::format("lab {} is up ({} nodes)", lab_.topo.name, plan_.nodes.size()));
    } else {
      lines.push_back(
          fmt::format("up failed on {} of {} node(s):", failures_.size(), plan_.nodes.size()));
      for (const auto& [node, msg] : failures_) lines.push_back(fmt::format("  {}: {}", node, msg));
    }
    lines.push_back("time per node:");
    for (const auto& np : plan_.nodes) {
      auto it = phases_.find(np.node);
      if (it == phases_.end()) continue;  // its thread never started
      rep_.phases(np.node, it->second.first, it->second.second);
      lines.push_back(
          fmt::format("  {}: {}", np.node, format_phases(it->second.first, it->second.second)));
    }
    rep_.summary(failures_.empty(), lines);
    return failures_.empty();
  }

  lab::Lab& lab_;
  const plan::Plan& plan_;
  const std::chrono::milliseconds address_wait_;
  Reporter& rep_;
  const ConnectFn& connect_fn_;
  StepRuntime runtime_;  // peers and step outputs shared by this run's steps
  const providers::Capabilities caps_;
  Dag dag_;
  std::counting_semaphore<256> boot_slots_;  // create/start
  std::counting_semaphore<256> step_slots_;  // provisioning steps
  std::mutex create_mu_;                     // serialises create() without parallel_create
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> failures_;
  std::map<std::string, std::pair<std::vector<Phase>, double>> phases_;  // node -> phases, total
};

}  // namespace

namespace {

// Machines whose `halt` was cut short (the record's mark): still running, they may be in the
// middle of an ACPI shutdown that would take them down under this `up`; the halt is finished
// (ACPI, forced after VMLAB_HALT_TIMEOUT) and the plan then starts them.
void finish_interrupted_halts(lab::Lab& lab, Reporter& rep) {
  std::vector<std::string> marked;
  for (const auto& [n, m] : lab.store->get().machines)
    if (m.halting) marked.push_back(n);
  if (marked.empty()) return;
  auto live = lab.live(false);
  const auto grace = settings::seconds("VMLAB_HALT_TIMEOUT", 0);
  parallel_for(marked, default_parallelism(), [&](const std::string& n) {
    auto it = live.find(n);
    if (it != live.end() && it->second.state == providers::MachineState::Running) {
      rep.event(n, "stopping", "an interrupted halt is finished first (ACPI)");
      lab.provider->stop(lab.ref(n), false, grace);
    }
    lab.store->update([&](state::LabRecord& r) { r.machines[n].halting = false; });
  });
}

}  // namespace

bool update_forwards(lab::Lab& lab, const std::map<std::string, providers::MachineInfo>& live,
                     Reporter& rep) {
  if (!core_forwards(lab.provider->capabilities())) return true;
  const auto rules = forward_rules(lab.topo, live);
  try {
    if (sync_forwarder(lab.topo.project_dir, lab.lab_id, rules))
      for (const auto& r : rules)
        rep.event(r.node, "forward",
                  fmt::format("forwarding {}:{}/{} to guest port {}", r.bind_ip, r.bind_port,
                              r.protocol, r.target_port),
                  {{"host", fmt::format("{}:{}", r.bind_ip, r.bind_port)},
                   {"guest", std::to_string(r.target_port)},
                   {"protocol", r.protocol}});
  } catch (const Error& e) {
    rep.summary(false, {e.what()});
    return false;
  }
  return true;
}

bool up(lab::Lab& lab, const UpOptions& opts, Reporter& rep, const ConnectFn& connect) {
  plan::check_selection(lab.topo, opts.nodes);
  install_cancel_handlers();
  WarningsToReporter warnings(*lab.provider, rep);
  lab.store->update([&](state::LabRecord& r) {
    if (r.lab_id.empty()) r.lab_id = lab.lab_id;
    r.provider = lab.topo.provider;
  });
  finish_interrupted_halts(lab, rep);
  std::map<std::string, providers::MachineState> states;
  const auto live = lab.live(true);
  for (const auto& [n, info] : live) states[n] = info.state;
  auto p = plan::make_plan(lab.topo, opts.nodes, states, lab.store->get(), opts.provision_all);
  if (!opts.provision)
    for (auto& n : p.nodes) n.steps.clear();
  check_syncs(lab.topo, lab.provider->capabilities());
  std::vector<std::string> planned;
  for (const auto& n : p.nodes) planned.push_back(n.node);
  if (p.nothing_to_do() && !has_syncs(lab.topo, planned)) {
    // A forwarder that died (or a vmlab killed before it started one) is brought back.
    if (!update_forwards(lab, live, rep)) return false;
    rep.summary(true, {fmt::format("lab {} is up: nothing to do", lab.topo.name)});
    return true;
  }
  check_capabilities(lab.topo, p, lab.provider->capabilities(), rep);
  ensure_keys(lab);
  fetch_missing_boxes(lab.topo, rep);  // before check(), which wants every box installed
  lab.provider->check(lab.topo, lab.lab_id);
  if (std::any_of(p.nodes.begin(), p.nodes.end(), [](const auto& n) { return n.create || n.start; })) {
    rep.lab("preparing lab networks");
    lab.provider->prepare_lab(lab.topo, lab.lab_id);
  }
  UpRun run(lab, p, opts, rep, connect);
  bool ok = run.run();
  if (cancelled()) throw Interrupted();
  // The forwards of every running node (also of nodes whose steps failed: they are up).
  if (!core_forwards(lab.provider->capabilities())) return ok;
  return update_forwards(lab, lab.live(false), rep) && ok;
}

}  // namespace vmlab::executor
