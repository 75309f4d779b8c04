#pragma once
// An in-process Provider for unit tests of the core: machines are entries in a map, every
// operation is instant and counted. Follows the contract in providers/provider.hpp (create
// is a no-op on an existing machine, destroy is idempotent, info() of a missing machine is
// NotCreated). Thread-safe. Tests may edit `machines` directly (under `mu`) to make the
// hypervisor disagree with the record.
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "providers/provider.hpp"

namespace vmlab::test {

class FakeProvider final : public providers::Provider {
 public:
  providers::Capabilities caps;
  std::mutex mu;
  std::map<std::string, providers::MachineInfo> machines;  // node -> info
  std::atomic<int> creates{0}, starts{0}, stops{0}, destroys{0}, lists{0}, infos{0};
  std::atomic<int> creating_now{0}, max_creating{0};  // concurrency of create()
  // Called inside create() (outside the lock); may throw to fail that machine.
  std::function<void(const providers::MachineRef&)> on_create;

  providers::Capabilities capabilities() const override { return caps; }
  providers::GuestMount sync_mount(const config::Node&, std::size_t index) const override {
    return {"fakefs", "share" + std::to_string(index), "rw"};
  }
  void check(const config::Topology&, const std::string&) override {}
  void prepare_lab(const config::Topology&, const std::string&) override {}

  void create(const providers::MachineSpec& spec, const providers::ProgressFn&) override {
    {
      std::lock_guard lock(mu);
      if (machines.count(spec.ref.node)) return;
    }
    ++creates;
    int now = ++creating_now;
    for (int m = max_creating; now > m && !max_creating.compare_exchange_weak(m, now);) {
    }
    struct Done {
      std::atomic<int>& n;
      ~Done() { --n; }
    } done{creating_now};
    if (on_create) on_create(spec.ref);
    std::lock_guard lock(mu);
    machines[spec.ref.node] = {spec.ref.node, providers::MachineState::Stopped,
                               providers::SshEndpoint{"fake", 2200 + static_cast<int>(machines.size())}};
  }

  void start(const providers::MachineRef& m) override {
    ++starts;
    std::lock_guard lock(mu);
    auto it = machines.find(m.node);
    if (it == machines.end()) throw ProviderError("{}: machine is not created", m.node);
    it->second.state = providers::MachineState::Running;
  }

  void stop(const providers::MachineRef& m, bool, std::chrono::seconds) override {
    ++stops;
    std::lock_guard lock(mu);
    if (auto it = machines.find(m.node); it != machines.end())
      it->second.state = providers::MachineState::Stopped;
  }

  void destroy(const providers::MachineRef& m) override {
    ++destroys;
    std::lock_guard lock(mu);
    machines.erase(m.node);
  }

  void destroy_lab(const std::string&) override {}

  std::vector<providers::MachineInfo> list(const std::string&) override {
    ++lists;
    std::lock_guard lock(mu);
    std::vector<providers::MachineInfo> out;
    for (const auto& [n, m] : machines) out.push_back(m);
    return out;
  }

  providers::MachineInfo info(const providers::MachineRef& m) override {
    ++infos;
    std::lock_guard lock(mu);
    auto it = machines.find(m.node);
    if (it == machines.end()) return {m.node, providers::MachineState::NotCreated, std::nullopt};
    return it->second;
  }

  std::string console_tail(const providers::MachineRef&, int) override { return ""; }

  // One lab: "fake" with whatever is in `machines`.
  std::vector<providers::LabListing> list_labs() override {
    return {{"fake-000000", "", list("fake-000000")}};
  }
  // What diagnose() reports (tests set it).
  providers::HostReport report{{}, "", {}, "", false};
  providers::HostReport diagnose(const config::Topology*, const std::string&) override {
    return report;
  }

  // A provider warning, as an implementation would send it.
  void emit_warning(const std::string& node, const std::string& message) { warn(node, message); }
};

}  // namespace vmlab::test
