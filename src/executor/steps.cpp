#include "executor/steps.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "executor/access.hpp"
#include "executor/cancel.hpp"

namespace vmlab::executor {
namespace {

// A pooled peer session, held exclusively while this handle lives.
class HeldPeer final : public communicator::Remote {
 public:
  HeldPeer(std::unique_lock<std::mutex> lock, communicator::Remote& r)
      : lock_(std::move(lock)), r_(r) {}
  int exec(const std::string& cmd, const communicator::ExecOptions& o) override {
    return r_.exec(cmd, o);
  }
  void upload(const std::filesystem::path& l, const std::string& r,
              std::optional<int> mode) override {
    r_.upload(l, r, mode);
  }
  void download(const std::string& r, const std::filesystem::path& l, int mode) override {
    r_.download(r, l, mode);
  }
  const communicator::SshTarget& target() const override { return r_.target(); }

 private:
  std::unique_lock<std::mutex> lock_;
  communicator::Remote& r_;
};

std::string up_hint(const std::string& node) {
  return fmt::format("run `vmup {}`", node);
}

}  // namespace

StepRuntime::StepRuntime(lab::Lab& lab, ConnectFn connect)
    : lab_(lab), connect_(std::move(connect)) {
  const auto rec = lab_.store->get();
  for (const auto& [node, m] : rec.machines)
    for (const auto& [step, s] : m.steps) outputs_.restore(node, step, s.outputs);
}

StepRuntime::~StepRuntime() = default;

std::unique_ptr<communicator::Remote> StepRuntime::peer(const std::string& name,
                                                        const std::string& needs_step) {
  const config::Node* node = lab_.topo.find_node(name);
  if (!node) throw Error("node {} is not part of lab {}", name, lab_.topo.name);
  const auto rec = lab_.store->get();
  auto m = rec.machines.find(name);
  if (m == rec.machines.end() || !m->second.created)
    throw Error("node {} is not created: {}", name, up_hint(name));
  if (!needs_step.empty() && !m->second.steps.count(needs_step))
    throw Error("node {} has not run its step {} yet: {}", name, needs_step, up_hint(name));
  PeerSlot* slot;
  {
    std::lock_guard lock(mu_);
    auto& p = peers_[name];
    if (!p) p = std::make_unique<PeerSlot>();
    slot = p.get();
  }
  std::unique_lock hold(slot->mu);
  if (!slot->remote) {
    const auto info = lab_.provider->info(lab_.ref(name));
    if (info.state != providers::MachineState::Running || !info.ssh)
      throw Error("node {} is not running ({}): {}", name, providers::to_string(info.state),
                  up_hint(name));
    const auto target = ssh_target(lab_, *node, *info.ssh);
    try {
      slot->remote = connect_(
          target, std::chrono::steady_clock::now() + settings::seconds("VMLAB_CONNECT_TIMEOUT"),
          [] {});
    } catch (const SshError& e) {
      throw Error("node {} is not reachable over SSH: {} ({} to bring it back)", name, e.what(),
                  up_hint(name));
    }
    log::debug("provision", "peer session to {} opened", name);
  }
  return std::make_unique<HeldPeer>(std::move(hold), *slot->remote);
}

void StepRuntime::run_step(communicator::Remote& remote, const config::Node& node,
                           const config::ProvisionStep& step, const OutputFn& out) {
  auto p = provisioners::make_provisioner(step.type);
  provisioners::Context ctx{remote,
                            node,
                            step,
                            lab_.topo.project_dir,
                            [this, &out](const std::string&, std::string_view line, bool err) {
                              out(outputs_.redact(line), err);
                            },
                            &lab_.topo,
                            this,
                            &outputs_};
  ctx.check_cancel = [] { check_cancel(); };
  try {
    provisioners::run_step(*p, ctx);
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    throw Error("{}", outputs_.redact(e.what()));
  }
}

}  // namespace vmlab::executor
