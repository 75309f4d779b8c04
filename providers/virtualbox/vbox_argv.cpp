#include "providers/virtualbox/vbox_argv.hpp"

#include <cctype>

namespace vmlab::vbox::argv {

std::string vbox_mac(const std::string& mac) {
  std::string out;
  for (char c : mac)
    if (c != ':' && c != '-') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

Argv version() {
  return {"--version"};
}
Argv list(const std::string& what) {
  return {"list", what};
}
Argv showvminfo(const std::string& vm) {
  return {"showvminfo", vm, "--machinereadable"};
}
Argv import_ovf(const std::string& ovf, const std::string& vm) {
  return {"import", ovf, "--vsys", "0", "--vmname", vm};
}
Argv createvm(const std::string& vm, const std::string& ostype) {
  return {"createvm", "--name", vm, "--ostype", ostype, "--register"};
}
Argv storagectl_sata(const std::string& vm, const std::string& controller) {
  return {"storagectl", vm, "--name", controller, "--add", "sata", "--portcount", "4"};
}
Argv attach_disk(const std::string& vm, const std::string& controller, int port,
                 const std::string& path) {
  return {"storageattach", vm,  "--storagectl", controller, "--port",   std::to_string(port),
          "--device",      "0", "--type",       "hdd",      "--medium", path};
}
Argv attach_dvd(const std::string& vm, const std::string& controller, int port,
                const std::string& path) {
  return {"storageattach", vm,  "--storagectl", controller, "--port",   std::to_string(port),
          "--device",      "0", "--type",       "dvddrive", "--medium", path};
}
Argv snapshot_take(const std::string& vm, const std::string& snapshot) {
  return {"snapshot", vm, "take", snapshot};
}
Argv snapshot_take_live(const std::string& vm, const std::string& snapshot) {
  return {"snapshot", vm, "take", snapshot, "--live"};
}
Argv snapshot_restore(const std::string& vm, const std::string& snapshot) {
  return {"snapshot", vm, "restore", snapshot};
}
Argv snapshot_delete(const std::string& vm, const std::string& snapshot) {
  return {"snapshot", vm, "delete", snapshot};
}
Argv pause(const std::string& vm) {
  return {"controlvm", vm, "pause"};
}
Argv resume(const std::string& vm) {
  return {"controlvm", vm, "resume"};
}
Argv snapshot_list(const std::string& vm) {
  return {"snapshot", vm, "list", "--machinereadable"};
}
Argv clone_linked(const std::string& master, const std::string& snapshot, const std::string& vm) {
  return {"clonevm", master,   "--snapshot", snapshot,    "--options",
          "link",    "--name", vm,           "--register"};
}

Argv modify(const std::string& vm, const MachineConfig& cfg) {
  Argv a = {"modifyvm", vm,
            "--cpus",   std::to_string(cfg.cpus),
            "--memory", std::to_string(cfg.memory_mib)};
  for (size_t i = 0; i < cfg.nics.size(); ++i) {
    const auto& nic = cfg.nics[i];
    const std::string n = std::to_string(i + 1);
    switch (nic.kind) {
      case NicKind::Nat:
        a.insert(a.end(), {"--nic" + n, "nat"});
        break;
      case NicKind::HostOnly:
        a.insert(a.end(), {"--nic" + n, "hostonly", "--hostonlyadapter" + n, nic.attach});
        break;
      case NicKind::HostOnlyNet:
        a.insert(a.end(), {"--nic" + n, "hostonlynet", "--host-only-net" + n, nic.attach});
        break;
      case NicKind::IntNet:
        a.insert(a.end(), {"--nic" + n, "intnet", "--intnet" + n, nic.attach});
        break;
    }
    if (!nic.mac.empty()) a.insert(a.end(), {"--macaddress" + n, vbox_mac(nic.mac)});
  }
  for (const auto& r : cfg.nat_rules) a.insert(a.end(), {"--natpf1", r.to_string()});
  if (!cfg.serial_log.empty())
    a.insert(a.end(), {"--uart1", "0x3F8", "4", "--uartmode1", "file", cfg.serial_log});
  return a;
}

Argv replace_nat_rule(const std::string& vm, const NatRule& rule) {
  return {"modifyvm", vm, "--natpf1", "delete", rule.name, "--natpf1", rule.to_string()};
}
Argv startvm(const std::string& vm) {
  return {"startvm", vm, "--type", "headless"};
}
Argv acpi_power_button(const std::string& vm) {
  return {"controlvm", vm, "acpipowerbutton"};
}
Argv poweroff(const std::string& vm) {
  return {"controlvm", vm, "poweroff"};
}
Argv unregister_delete(const std::string& vm) {
  return {"unregistervm", vm, "--delete"};
}
Argv closemedium_dvd(const std::string& path) {
  return {"closemedium", "dvd", path};
}
Argv sharedfolder_add(const std::string& vm, const std::string& name, const std::string& path) {
  return {"sharedfolder", "add", vm, "--name", name, "--hostpath", path};
}
Argv setextradata(const std::string& vm, const std::string& key, const std::string& value) {
  return {"setextradata", vm, key, value};
}
Argv getextradata(const std::string& vm, const std::string& key) {
  return {"getextradata", vm, key};
}
Argv hostonlyif_create() {
  return {"hostonlyif", "create"};
}
Argv hostonlyif_ipconfig(const std::string& ifname, const std::string& ip,
                         const std::string& netmask) {
  return {"hostonlyif", "ipconfig", ifname, "--ip", ip, "--netmask", netmask};
}
Argv hostonlyif_remove(const std::string& ifname) {
  return {"hostonlyif", "remove", ifname};
}
Argv hostonlynet_add(const std::string& name, const std::string& netmask,
                     const std::string& lower_ip, const std::string& upper_ip) {
  return {"hostonlynet", "add",    "--name",     name,     "--netmask", netmask,
          "--lower-ip",  lower_ip, "--upper-ip", upper_ip, "--enable"};
}
Argv hostonlynet_remove(const std::string& name) {
  return {"hostonlynet", "remove", "--name", name};
}

}  // namespace vmlab::vbox::argv
