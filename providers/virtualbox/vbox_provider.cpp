#include "core/text_util.hpp"

#include <regex>
#include "providers/virtualbox/vbox_provider.hpp"

#include <fmt/format.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <thread>

#include "boxes/box.hpp"
#include "core/log.hpp"
#include "providers/virtualbox/vbox_argv.hpp"
#include "providers/virtualbox/vbox_master.hpp"
#include "providers/virtualbox/vbox_paths.hpp"
#include "providers/virtualbox/vbox_provider_impl.hpp"
#include "providers/virtualbox/vbox_ranges.hpp"
#include "seed/seed.hpp"

namespace vmlab::providers {
std::unique_ptr<Provider> make_virtualbox_provider(const config::Topology& topo) {
  return std::make_unique<vbox::VBoxProvider>(topo);
}
}  // namespace vmlab::providers

namespace vmlab::vbox {
namespace fs = std::filesystem;
using providers::MachineInfo;
using providers::MachineState;

namespace {

MachineState state_of(const std::string& vmstate) {
  if (vmstate == "running") return MachineState::Running;
  if (vmstate == "paused") return MachineState::Paused;
  if (vmstate == "poweroff" || vmstate == "aborted" || vmstate == "saved")
    return MachineState::Stopped;
  return MachineState::Unknown;
}

std::optional<NatRule> ssh_rule(const std::map<std::string, std::string>& info) {
  for (const auto& r : forwarding_rules(info))
    if (r.name == "ssh") return r;
  return std::nullopt;
}

// A clone create() finished: it has the SSH forward and the seed DVD (port 1).
bool complete(const std::map<std::string, std::string>& info) {
  auto ctl = info.find("storagecontrollername0");
  if (ctl == info.end() || !ssh_rule(info)) return false;
  auto dvd = info.find(ctl->second + "-1-0");
  return dvd != info.end() && !dvd->second.empty() && dvd->second != "none";
}

std::string vmstate(const std::map<std::string, std::string>& info) {
  auto it = info.find("VMState");
  return it == info.end() ? "" : it->second;
}

// A clone left half-made by a crash is "not created": the next create() rebuilds it.
MachineInfo machine_info(const std::string& node, const std::map<std::string, std::string>& i) {
  MachineInfo m{node, complete(i) ? state_of(vmstate(i)) : MachineState::NotCreated, std::nullopt};
  if (auto r = ssh_rule(i)) m.ssh = providers::SshEndpoint{r->host_ip, r->host_port};
  return m;
}

}  // namespace

providers::Capabilities VBoxProvider::capabilities() const {
  providers::Capabilities c;
  c.linked_clones = true;
  c.parallel_create = true;
  c.ssh_via_port_forward = true;
  c.private_networks = true;
  c.snapshots = true;  // VBoxManage snapshot take --live / restore / delete
  c.port_forwards = true;
  c.sync_mount = true;  // shared folders; the guest needs vboxsf (Guest Additions)
  return c;
}

providers::GuestMount VBoxProvider::sync_mount(const config::Node& /*node*/,
                                               std::size_t index) const {
  return {"vboxsf", paths::shared_folder_name(index), ""};
}

std::optional<std::map<std::string, std::string>> VBoxProvider::vminfo(const std::string& vm) const {
  auto r = vbm_.out(argv::showvminfo(vm));
  if (!r) {
    if (r.error().find("Could not find a registered machine") != std::string::npos)
      return std::nullopt;
    throw ProviderError(r.error());
  }
  return parse_machinereadable(r.value());
}

std::string VBoxProvider::vm_of(const providers::MachineRef& m) {
  if (!m.host.empty())
    throw ProviderError(fmt::format("{}: lives on {}; the VirtualBox provider manages this "
                                    "host's VirtualBox only",
                                    m.node, m.host));
  return paths::vm_name(m.lab_id, m.node);
}

std::string VBoxProvider::call(const std::vector<std::string>& args) const {
  return vbm_.out(args).value_or_throw<ProviderError>();
}

Version VBoxProvider::checked_version() {
  if (auto s = vbm_.check_version(); !s) throw ProviderError(s.error());
  return vbm_.version().value();
}

void VBoxProvider::check(const config::Topology& topo, const std::string& /*lab_id*/) {
  if (auto msg = check_network_ranges(topo, allowed_ranges())) throw UsageError(*msg);
  for (const auto& node : topo.nodes)
    if (!boxes::find_box(node.box))
      throw UsageError(
          fmt::format("node {}: box '{}' is not installed (add it with `vmlab box "
                      "add {} PATH`)",
                      node.name, node.box, node.box));
  checked_version();
}

void VBoxProvider::prepare_lab(const config::Topology& topo, const std::string& lab_id) {
  Version v = checked_version();
  prepare_lab_networks(vbm_, topo, lab_id, use_hostonlynet(v)).value_or_throw<ProviderError>();
}

void VBoxProvider::load_lab_ports(const std::string& lab_id) {
  std::lock_guard lock(mu_);
  if (ports_loaded_.count(lab_id)) return;
  for (const auto& m : list(lab_id))
    if (m.ssh) ports_.reserve(m.ssh->port);
  for (const auto& node : topo_.nodes)
    for (const auto& f : node.forwards) ports_.reserve(f.host);
  ports_loaded_.insert(lab_id);
}

int VBoxProvider::new_port() {
  int p = ports_.allocate();
  if (p == 0) throw ProviderError("no free TCP port in 2200-2999 on 127.0.0.1 for SSH");
  return p;
}

void VBoxProvider::create(const providers::MachineSpec& spec,
                          const providers::ProgressFn& progress) {
  const std::string vm = vm_of(spec.ref);
  load_lab_ports(spec.ref.lab_id);
  if (auto i = vminfo(vm)) {
    if (complete(*i)) return;  // exists: create() is a no-op
    // Left half-made by a crash between clonevm and the seed attachment: make it again.
    warn(spec.node->name, fmt::format("{} is incomplete (interrupted create); recreating it", vm));
    if (vmstate(*i) == "running") (void)vbm_.run(argv::poweroff(vm));
    call(argv::unregister_delete(vm));
  }
  build_clone(spec, vm, progress);
}

Master VBoxProvider::master_for(const boxes::Box& box) {
  MasterSlot* slot;
  {
    std::lock_guard lock(masters_mu_);
    auto& p = masters_[box.name];
    if (!p) p = std::make_unique<MasterSlot>();
    slot = p.get();
  }
  std::lock_guard lock(slot->mu);
  if (!slot->master) slot->master = ensure_master(vbm_, box).value_or_throw<ProviderError>();
  return *slot->master;
}

void VBoxProvider::build_clone(const providers::MachineSpec& spec, const std::string& vm,
                               const providers::ProgressFn& progress) {
  const config::Node& node = *spec.node;
  auto say = [&](const std::string& m) {
    if (progress) progress(node.name, m);
  };
  auto box = boxes::find_box(node.box);
  if (!box) throw UsageError(fmt::format("box '{}' is not installed", node.box));
  say("preparing VirtualBox master of box " + box->name);
  Master master = master_for(*box);
  record_box(spec.ref.lab_id, box->name).value_or_throw<ProviderError>();
  LabRecord rec = load_lab_record(spec.ref.lab_id);
  say("cloning " + master.name);
  call(argv::clone_linked(master.name, paths::kBaseSnapshot, vm));
  try {
    auto nics = seed::nics_for(spec.ref.lab_id, node);
    argv::MachineConfig cfg;
    cfg.cpus = node.cpus;
    cfg.memory_mib = node.memory_mib;
    for (size_t i = 0; i < nics.size(); ++i) {
      if (i == 0) {
        cfg.nics.push_back({argv::NicKind::Nat, "", nics[i].mac});
        continue;
      }
      auto net = rec.networks.find(nics[i].network);
      if (net == rec.networks.end())
        throw ProviderError(
            fmt::format("lab network '{}' of {} is not prepared", nics[i].network, node.name));
      cfg.nics.push_back({net->second.kind, net->second.attach, nics[i].mac});
    }
    int port = new_port();
    cfg.nat_rules.push_back({"ssh", "tcp", "127.0.0.1", port, "", 22});
    for (const auto& f : node.forwards)
      cfg.nat_rules.push_back(
          {fmt::format("{}-{}", f.protocol, f.host), f.protocol, f.host_ip, f.host, "", f.guest});
    fs::path log = paths::console_log(spec.ref.lab_id, node.name);
    fs::create_directories(log.parent_path());
    cfg.serial_log = log.string();
    say("configuring (SSH on 127.0.0.1:" + std::to_string(port) + ")");
    call(argv::modify(vm, cfg));
    for (std::size_t i = 0; i < node.syncs.size(); ++i)
      if (node.syncs[i].mode == config::SyncMode::Mount)
        call(argv::sharedfolder_add(vm, paths::shared_folder_name(i), node.syncs[i].host.string()));
    call(argv::setextradata(vm, paths::kSshPortKey, std::to_string(port)));
    call(argv::setextradata(vm, paths::kBoxKey, box->name));
    if (spec.topo && !spec.topo->project_dir.empty())
      call(argv::setextradata(vm, paths::kProjectKey, spec.topo->project_dir.string()));
    fs::path iso = paths::seed_iso(spec.ref.lab_id, node.name);
    fs::create_directories(iso.parent_path());
    seed::write_iso(iso, seed::render_files({spec.ref.lab_id, node.name, spec.keys.user,
                                             spec.keys.authorized_key, spec.keys.host_key_private,
                                             spec.keys.host_key_public, spec.hosts_file},
                                            nics));
    call(argv::attach_dvd(vm, master.controller, 1, iso.string()));
  } catch (...) {
    (void)vbm_.run(argv::unregister_delete(vm));  // never leave a half-made clone behind
    throw;
  }
}

void VBoxProvider::start(const providers::MachineRef& m) {
  const std::string& node = m.node;
  const std::string vm = vm_of(m);
  auto i = vminfo(vm);
  if (!i) throw ProviderError(fmt::format("{}: machine {} does not exist in VirtualBox", node, vm));
  if (vmstate(*i) == "running") return;
  if (vmstate(*i) == "paused") {  // a snapshot save cut short: running again is resuming
    call(argv::resume(vm));
    return;
  }
  auto r = vbm_.run(argv::startvm(vm));
  if (r) return;
  auto port = nat_redirect_failure_port(r.error());
  auto ssh = ssh_rule(*i);
  if (!port || !ssh || *port != ssh->host_port) throw ProviderError(r.error());
  load_lab_ports(m.lab_id);
  const int old_port = ssh->host_port;
  ssh->host_port = new_port();
  warn(node, fmt::format("SSH port 127.0.0.1:{} is taken; using {}", old_port, ssh->host_port));
  call(argv::replace_nat_rule(vm, *ssh));
  call(argv::setextradata(vm, paths::kSshPortKey, std::to_string(ssh->host_port)));
  call(argv::startvm(vm));
}

void VBoxProvider::stop(const providers::MachineRef& m, bool force, std::chrono::seconds grace) {
  const std::string vm = vm_of(m);
  auto i = vminfo(vm);
  if (!i || (vmstate(*i) != "running" && vmstate(*i) != "paused")) return;
  if (!force && vmstate(*i) == "running") {
    call(argv::acpi_power_button(vm));
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      i = vminfo(vm);
      if (!i || vmstate(*i) != "running") return;
    }
    warn(m.node, fmt::format("no ACPI shutdown within {} s; powering off", grace.count()));
  }
  auto r = vbm_.run(argv::poweroff(vm));
  if (!r && r.error().find("is not currently running") == std::string::npos)
    throw ProviderError(r.error());
}

void VBoxProvider::destroy(const providers::MachineRef& m) {
  const std::string vm = vm_of(m);
  if (auto i = vminfo(vm)) {
    if (vmstate(*i) == "running" || vmstate(*i) == "paused") (void)vbm_.run(argv::poweroff(vm));
    auto r = vbm_.run(argv::unregister_delete(vm));
    if (!r && r.error().find("Could not find a registered machine") == std::string::npos)
      throw ProviderError(r.error());
  }
  const fs::path iso = paths::seed_iso(m.lab_id, m.node);
  std::error_code ec;
  if (fs::exists(iso, ec)) (void)vbm_.run(argv::closemedium_dvd(iso.string()));  // best effort
  fs::remove(iso, ec);
  fs::remove(paths::console_log(m.lab_id, m.node), ec);
}

void VBoxProvider::destroy_lab(const std::string& lab_id) {
  remove_lab_networks(vbm_, lab_id).value_or_throw<ProviderError>();
  LabRecord rec = load_lab_record(lab_id);
  if (!rec.boxes.empty()) {
    // A master goes when no clone (of any lab) uses its box any more.
    std::set<std::string> used;
    for (const auto& v : parse_list_vms(call(argv::list("vms")))) {
      if (v.name.rfind("vmlab-", 0) != 0 || v.name.rfind(paths::kMasterPrefix, 0) == 0) continue;
      auto r = vbm_.out(argv::getextradata(v.name, paths::kBoxKey));
      if (r && !parse_extradata_value(r.value()).empty())
        used.insert(parse_extradata_value(r.value()));
    }
    for (const auto& b : rec.boxes)
      if (!used.count(b))
        if (auto box = boxes::find_box(b))
          remove_master(vbm_, *box).value_or_throw<ProviderError>();
  }
  std::error_code ec;
  fs::remove_all(paths::lab_dir(lab_id), ec);
}

std::vector<MachineInfo> VBoxProvider::list(const std::string& lab_id) {
  std::vector<MachineInfo> out;
  const std::string prefix = paths::vm_prefix(lab_id);
  for (const auto& v : parse_list_vms(call(argv::list("vms")))) {
    if (v.name.rfind(prefix, 0) != 0) continue;
    std::string node = v.name.substr(prefix.size());
    // Another lab whose name starts like this one's id ("<id>-x-<6 hex>-node"); machines of
    // nodes removed from the Vmfile stay listed so that destroy removes them.
    if (!topo_.find_node(node) && std::regex_match(node, std::regex(".*-[0-9a-f]{6}-.+")))
      continue;
    auto i = vminfo(v.name);
    if (!i) continue;  // removed meanwhile
    out.push_back(machine_info(node, *i));
  }
  return out;
}

MachineInfo VBoxProvider::info(const providers::MachineRef& m) {
  auto i = vminfo(vm_of(m));
  if (!i) return MachineInfo{m.node, MachineState::NotCreated, std::nullopt};
  return machine_info(m.node, *i);
}

std::string VBoxProvider::console_tail(const providers::MachineRef& m, int lines) {
  return util::tail_lines(paths::console_log(m.lab_id, m.node), lines);
}

// Snapshots: VirtualBox's own, of the clone (the master's "base" is not the clone's). One of a
// running or paused machine is live (with the machine state); restoring needs the machine
// off, and leaves it "saved" (live snapshot: start resumes at that moment) or powered off.
void VBoxProvider::snapshot_save(const providers::MachineRef& m, const std::string& name) {
  const std::string vm = vm_of(m);
  auto i = vminfo(vm);
  if (!i)
    throw ProviderError(fmt::format("{}: machine {} does not exist in VirtualBox", m.node, vm));
  for (const auto& s : snapshot_list(m))
    if (s.name == name)
      throw ProviderError(fmt::format("{}: snapshot '{}' exists already", m.node, name));
  const std::string st = vmstate(*i);
  call(st == "running" || st == "paused" ? argv::snapshot_take_live(vm, name)
                                         : argv::snapshot_take(vm, name));
}

void VBoxProvider::snapshot_restore(const providers::MachineRef& m, const std::string& name) {
  const std::string vm = vm_of(m);
  auto i = vminfo(vm);
  if (!i)
    throw ProviderError(fmt::format("{}: machine {} does not exist in VirtualBox", m.node, vm));
  bool found = false;
  for (const auto& s : snapshot_list(m)) found = found || s.name == name;
  if (!found) throw ProviderError(fmt::format("{}: no snapshot '{}'", m.node, name));
  if (vmstate(*i) == "running" || vmstate(*i) == "paused") call(argv::poweroff(vm));
  call(argv::snapshot_restore(vm, name));
}

std::vector<providers::SnapshotInfo> VBoxProvider::snapshot_list(const providers::MachineRef& m) {
  std::vector<providers::SnapshotInfo> out;
  auto r = vbm_.out(argv::snapshot_list(vm_of(m)));
  if (!r) return out;  // no machine, or "does not have any snapshots"
  for (const auto& [key, value] : parse_machinereadable(r.value()))
    if (key.rfind("SnapshotName", 0) == 0) out.push_back({value, ""});
  return out;
}

void VBoxProvider::snapshot_delete(const providers::MachineRef& m, const std::string& name) {
  bool found = false;
  for (const auto& s : snapshot_list(m)) found = found || s.name == name;
  if (found) call(argv::snapshot_delete(vm_of(m), name));
}

void VBoxProvider::pause(const providers::MachineRef& m) {
  auto i = vminfo(vm_of(m));
  if (i && vmstate(*i) == "running") call(argv::pause(vm_of(m)));
}

void VBoxProvider::resume(const providers::MachineRef& m) {
  const std::string vm = vm_of(m);
  auto i = vminfo(vm);
  if (!i) return;
  if (vmstate(*i) == "paused")
    call(argv::resume(vm));
  else if (vmstate(*i) == "saved")
    start(m);  // restored from a live snapshot
}

}  // namespace vmlab::vbox
