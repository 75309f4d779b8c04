#pragma once
// Pure builders of VBoxManage argument vectors (without the program name), one per call the
// provider makes, in the syntax of the VirtualBox manual's VBoxManage chapter. No I/O.
#include <string>
#include <vector>

#include "providers/virtualbox/vbox_parse.hpp"

namespace vmlab::vbox::argv {

using Argv = std::vector<std::string>;

// How a NIC is attached.
enum class NicKind { Nat, HostOnly, HostOnlyNet, IntNet };

struct NicConfig {
  NicKind kind = NicKind::Nat;
  std::string attach;  // host-only interface (vboxnetN), host-only network or intnet name
  std::string mac;     // VirtualBox form: 12 hex digits, no colons ("525400AB12CD")
};

// Everything modifyvm sets on a fresh clone.
struct MachineConfig {
  int cpus = 1;
  unsigned long long memory_mib = 512;
  std::vector<NicConfig> nics;     // nics[0] is NIC 1 (the NAT management NIC)
  std::vector<NatRule> nat_rules;  // NIC 1 port forwards
  std::string serial_log;          // UART1 to this file ("" = leave the UART alone)
};

// "52:54:00:ab:12:cd" -> "525400AB12CD".
std::string vbox_mac(const std::string& mac);

Argv version();
Argv list(const std::string& what);  // vms | runningvms | hostonlyifs | hostonlynets
Argv showvminfo(const std::string& vm);
Argv import_ovf(const std::string& ovf, const std::string& vm);
Argv createvm(const std::string& vm, const std::string& ostype);
Argv storagectl_sata(const std::string& vm, const std::string& controller);
Argv attach_disk(const std::string& vm, const std::string& controller, int port,
                 const std::string& path);
Argv attach_dvd(const std::string& vm, const std::string& controller, int port,
                const std::string& path);
Argv snapshot_take(const std::string& vm, const std::string& snapshot);
Argv snapshot_list(const std::string& vm);
// A lab snapshot: live (the machine state too) when the machine runs or is paused.
Argv snapshot_take_live(const std::string& vm, const std::string& snapshot);
Argv snapshot_restore(const std::string& vm, const std::string& snapshot);
Argv snapshot_delete(const std::string& vm, const std::string& snapshot);
Argv pause(const std::string& vm);
Argv resume(const std::string& vm);
Argv clone_linked(const std::string& master, const std::string& snapshot, const std::string& vm);
Argv modify(const std::string& vm, const MachineConfig& cfg);
// Replaces the NIC 1 rule named rule.name (modifyvm --natpf1 delete NAME --natpf1 RULE;
// "delete" and NAME are separate arguments, as in the manual).
Argv replace_nat_rule(const std::string& vm, const NatRule& rule);
Argv startvm(const std::string& vm);
Argv acpi_power_button(const std::string& vm);
Argv poweroff(const std::string& vm);
Argv unregister_delete(const std::string& vm);
// Forgets a DVD image in VirtualBox's media registry (unregistervm --delete keeps DVDs).
Argv closemedium_dvd(const std::string& path);
// A permanent shared folder (the VM must not be running): sharedfolder add VM --name NAME
// --hostpath PATH. Not --automount: vmlab mounts it itself (mount -t vboxsf) at each up.
Argv sharedfolder_add(const std::string& vm, const std::string& name, const std::string& path);
Argv setextradata(const std::string& vm, const std::string& key, const std::string& value);
Argv getextradata(const std::string& vm, const std::string& key);
Argv hostonlyif_create();
Argv hostonlyif_ipconfig(const std::string& ifname, const std::string& ip,
                         const std::string& netmask);
Argv hostonlyif_remove(const std::string& ifname);
Argv hostonlynet_add(const std::string& name, const std::string& netmask,
                     const std::string& lower_ip, const std::string& upper_ip);
Argv hostonlynet_remove(const std::string& name);

}  // namespace vmlab::vbox::argv
