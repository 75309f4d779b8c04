// VBoxProvider's answers to `vmlab ls` (list_labs: VM names, their extradata and the lab
// records) and `vmlab doctor` (diagnose: VBoxManage, the kernel driver, qemu-img, ranges).
#include <fmt/format.h>
#include <unistd.h>

#include <map>
#include <set>

#include "core/host_probe.hpp"
#include "core/settings.hpp"
#include "providers/virtualbox/vbox_argv.hpp"
#include "providers/virtualbox/vbox_paths.hpp"
#include "providers/virtualbox/vbox_provider_impl.hpp"
#include "providers/virtualbox/vbox_ranges.hpp"

namespace vmlab::vbox {
namespace fs = std::filesystem;
using providers::CheckLevel;
using providers::HostCheck;
using providers::MachineState;

std::vector<providers::LabListing> VBoxProvider::list_labs() {
  if (host::find_program(vbm_.program()).empty()) return {};  // VirtualBox is not installed
  std::set<std::string> running;
  for (const auto& v : parse_list_vms(call(argv::list("runningvms")))) running.insert(v.name);
  std::map<std::string, providers::LabListing> labs;
  std::map<std::string, std::string> first_vm;  // lab -> one of its VMs (for the extradata)
  for (const auto& v : parse_list_vms(call(argv::list("vms")))) {
    if (v.name.rfind(paths::kMasterPrefix, 0) == 0) continue;
    auto parts = providers::split_backend_name(v.name);
    if (!parts) continue;
    auto& lab = labs[parts->first];
    lab.lab_id = parts->first;
    lab.machines.push_back({parts->second,
                            running.count(v.name) ? MachineState::Running : MachineState::Stopped,
                            std::nullopt});
    first_vm.emplace(parts->first, v.name);
  }
  for (auto& [id, vm] : first_vm)  // one call per lab, not per machine
    if (auto r = vbm_.out(argv::getextradata(vm, paths::kProjectKey)))
      labs[id].project_dir = parse_extradata_value(r.value());
  // Labs whose machines are gone but whose networks (lab record) are not.
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(paths::labs_dir(), ec))
    if (e.is_directory(ec) && !labs.count(e.path().filename().string()))
      labs[e.path().filename().string()].lab_id = e.path().filename().string();
  std::vector<providers::LabListing> out;
  for (auto& [id, lab] : labs) out.push_back(std::move(lab));
  return out;
}

providers::HostReport VBoxProvider::diagnose(const config::Topology* topo,
                                             const std::string& lab_id) {
  providers::HostReport r;
  r.local = true;
  r.route_table = "/proc/net/route";  // host-only interfaces live in vmlab's own namespace
  r.storage_dir = (fs::path(settings::text("HOME")) / "VirtualBox VMs").string();
  if (auto s = vbm_.check_version(); !s)
    r.checks.push_back({"provider", CheckLevel::Fail, s.error(),
                        "install VirtualBox 6.1 or later, or set VMLAB_VBOXMANAGE to its "
                        "VBoxManage"});
  else
    r.checks.push_back({"provider", CheckLevel::Ok,
                        fmt::format("VirtualBox {} ({})", vbm_.version().value().text,
                                    host::find_program(vbm_.program())),
                        ""});
  if (::access("/dev/vboxdrv", F_OK) == 0)
    r.checks.push_back({"acceleration", CheckLevel::Ok, "VirtualBox kernel driver loaded", ""});
  else
    r.checks.push_back({"acceleration", CheckLevel::Warn,
                        "no /dev/vboxdrv: VirtualBox cannot start machines on this host",
                        "load the VirtualBox kernel modules (sudo /sbin/vboxconfig)"});
  if (host::find_program("qemu-img").empty())
    r.checks.push_back({"qemu-img", CheckLevel::Warn,
                        "qemu-img not found (converts qcow2 boxes to VDI once per box)",
                        "apt-get install qemu-utils"});
  else
    r.checks.push_back({"qemu-img", CheckLevel::Ok, host::find_program("qemu-img"), ""});
  if (topo) {
    if (auto msg = check_network_ranges(*topo, allowed_ranges()))
      r.checks.push_back({"lab-networks", CheckLevel::Fail, *msg,
                          "choose a cidr in the allowed ranges, or list yours in "
                          "/etc/vbox/networks.conf"});
    else
      r.checks.push_back({"lab-networks", CheckLevel::Ok,
                          fmt::format("{} lab network(s) within VirtualBox's allowed host-only "
                                      "ranges",
                                      topo->networks.size()),
                          ""});
    for (const auto& [name, net] : load_lab_record(lab_id).networks)
      if (net.kind == argv::NicKind::HostOnly) r.own_interfaces.push_back(net.attach);
  }
  return r;
}

}  // namespace vmlab::vbox
