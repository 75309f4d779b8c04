#pragma once
// VBoxProvider: the Provider contract on VirtualBox. Machines are linked clones
// "vmlab-<lab_id>-<node>" of "vmlab-master-<box>" (snapshot "base"); NIC 1 is NAT with the SSH
// forward "ssh,tcp,127.0.0.1,PORT,,22"; NIC 2.. are the lab networks (vbox_labnet.hpp); the
// cloud-init seed is a DVD on port 1 of the master's controller; UART1 logs to a file.
// Thread-safe: create/start/stop/destroy run concurrently for different machines.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "boxes/box.hpp"
#include "providers/provider.hpp"
#include "providers/virtualbox/vbox_labnet.hpp"
#include "providers/virtualbox/vbox_master.hpp"
#include "providers/virtualbox/vbox_ports.hpp"
#include "providers/virtualbox/vboxmanage.hpp"

namespace vmlab::vbox {

class VBoxProvider : public providers::Provider {
 public:
  explicit VBoxProvider(const config::Topology& topo) : topo_(topo) {}

  providers::Capabilities capabilities() const override;
  providers::GuestMount sync_mount(const config::Node& node, std::size_t index) const override;
  void check(const config::Topology& topo, const std::string& lab_id) override;
  void prepare_lab(const config::Topology& topo, const std::string& lab_id) override;
  void create(const providers::MachineSpec& spec, const providers::ProgressFn& progress) override;
  void start(const providers::MachineRef& m) override;
  void stop(const providers::MachineRef& m, bool force, std::chrono::seconds grace) override;
  void destroy(const providers::MachineRef& m) override;
  void destroy_lab(const std::string& lab_id) override;
  std::vector<providers::MachineInfo> list(const std::string& lab_id) override;
  // One showvminfo (list() runs one per machine).
  providers::MachineInfo info(const providers::MachineRef& m) override;
  std::string console_tail(const providers::MachineRef& m, int lines) override;
  void snapshot_save(const providers::MachineRef& m, const std::string& name) override;
  void snapshot_restore(const providers::MachineRef& m, const std::string& name) override;
  std::vector<providers::SnapshotInfo> snapshot_list(const providers::MachineRef& m) override;
  void snapshot_delete(const providers::MachineRef& m, const std::string& name) override;
  void pause(const providers::MachineRef& m) override;
  void resume(const providers::MachineRef& m) override;
  // `list runningvms`, `list vms`, one getextradata per lab (vbox_host.cpp).
  std::vector<providers::LabListing> list_labs() override;
  providers::HostReport diagnose(const config::Topology* topo, const std::string& lab_id) override;

 private:
  // showvminfo of a machine; nullopt when VirtualBox does not know it.
  std::optional<std::map<std::string, std::string>> vminfo(const std::string& vm) const;
  // The VM name of a machine; MachineRef::host must be "" (VirtualBox is this host's).
  static std::string vm_of(const providers::MachineRef& m);
  // Runs a call; throws ProviderError with the wrapper's message on failure.
  std::string call(const std::vector<std::string>& args) const;
  Version checked_version();
  void load_lab_ports(const std::string& lab_id);
  int new_port();
  // The box's master, ensured once per provider (then clones run fully in parallel).
  Master master_for(const boxes::Box& box);
  void build_clone(const providers::MachineSpec& spec, const std::string& vm,
                   const providers::ProgressFn& progress);

  config::Topology topo_;
  VBoxManage vbm_;
  PortAllocator ports_;
  std::mutex mu_;
  std::set<std::string> ports_loaded_;  // labs whose machines' ports are reserved
  struct MasterSlot {
    std::mutex mu;
    std::optional<Master> master;
  };
  std::mutex masters_mu_;
  std::map<std::string, std::unique_ptr<MasterSlot>> masters_;
};

}  // namespace vmlab::vbox
