// Unit tests of the VBoxManage argv builders: exact vectors, in the manual's syntax.
#include <doctest/doctest.h>

#include "providers/virtualbox/vbox_argv.hpp"
#include "providers/virtualbox/vboxmanage.hpp"

using namespace vmlab::vbox;
using argv::Argv;

TEST_CASE("argv: machine lifecycle calls") {
  CHECK(argv::version() == Argv{"--version"});
  CHECK(argv::showvminfo("vm") == Argv{"showvminfo", "vm", "--machinereadable"});
  CHECK(argv::clone_linked("vmlab-master-deb", "base", "vmlab-lab-abc123-n1") ==
        Argv{"clonevm", "vmlab-master-deb", "--snapshot", "base", "--options", "link", "--name",
             "vmlab-lab-abc123-n1", "--register"});
  CHECK(argv::startvm("vm") == Argv{"startvm", "vm", "--type", "headless"});
  CHECK(argv::acpi_power_button("vm") == Argv{"controlvm", "vm", "acpipowerbutton"});
  CHECK(argv::poweroff("vm") == Argv{"controlvm", "vm", "poweroff"});
  CHECK(argv::unregister_delete("vm") == Argv{"unregistervm", "vm", "--delete"});
  CHECK(argv::import_ovf("/b/box.ovf", "m") ==
        Argv{"import", "/b/box.ovf", "--vsys", "0", "--vmname", "m"});
  CHECK(argv::attach_dvd("vm", "SATA", 1, "/s.iso") ==
        Argv{"storageattach", "vm", "--storagectl", "SATA", "--port", "1", "--device", "0",
             "--type", "dvddrive", "--medium", "/s.iso"});
  CHECK(argv::snapshot_take("m", "base") == Argv{"snapshot", "m", "take", "base"});
  CHECK(argv::closemedium_dvd("/s.iso") == Argv{"closemedium", "dvd", "/s.iso"});
  CHECK(argv::sharedfolder_add("vm", "vmlab0", "/home/me/lab") ==
        Argv{"sharedfolder", "add", "vm", "--name", "vmlab0", "--hostpath", "/home/me/lab"});
}

TEST_CASE("argv: modifyvm with NAT + forwards, host-only, intnet, MACs and the serial log") {
  argv::MachineConfig cfg;
  cfg.cpus = 2;
  cfg.memory_mib = 3072;
  cfg.nics = {{argv::NicKind::Nat, "", "52:54:00:ab:cd:01"},
              {argv::NicKind::HostOnly, "vboxnet2", "52:54:00:ab:cd:02"},
              {argv::NicKind::IntNet, "vmlab-k8s-abc123-back", ""},
              {argv::NicKind::HostOnlyNet, "vmlab-k8s-abc123-lab", ""}};
  cfg.nat_rules = {{"ssh", "tcp", "127.0.0.1", 2201, "", 22},
                   {"tcp-6443", "tcp", "127.0.0.1", 6443, "", 6443}};
  cfg.serial_log = "/d/console/n1.log";
  CHECK(argv::modify("vm", cfg) == Argv{"modifyvm",
                                        "vm",
                                        "--cpus",
                                        "2",
                                        "--memory",
                                        "3072",
                                        "--nic1",
                                        "nat",
                                        "--macaddress1",
                                        "525400ABCD01",
                                        "--nic2",
                                        "hostonly",
                                        "--hostonlyadapter2",
                                        "vboxnet2",
                                        "--macaddress2",
                                        "525400ABCD02",
                                        "--nic3",
                                        "intnet",
                                        "--intnet3",
                                        "vmlab-k8s-abc123-back",
                                        "--nic4",
                                        "hostonlynet",
                                        "--host-only-net4",
                                        "vmlab-k8s-abc123-lab",
                                        "--natpf1",
                                        "ssh,tcp,127.0.0.1,2201,,22",
                                        "--natpf1",
                                        "tcp-6443,tcp,127.0.0.1,6443,,6443",
                                        "--uart1",
                                        "0x3F8",
                                        "4",
                                        "--uartmode1",
                                        "file",
                                        "/d/console/n1.log"});
}

TEST_CASE("argv: NAT rule replacement and networks") {
  NatRule r{"ssh", "tcp", "127.0.0.1", 2205, "", 22};
  CHECK(argv::replace_nat_rule("vm", r) == Argv{"modifyvm", "vm", "--natpf1", "delete", "ssh",
                                                "--natpf1", "ssh,tcp,127.0.0.1,2205,,22"});
  CHECK(argv::hostonlyif_create() == Argv{"hostonlyif", "create"});
  CHECK(argv::hostonlyif_ipconfig("vboxnet0", "192.168.56.1", "255.255.255.0") ==
        Argv{"hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.56.1", "--netmask",
             "255.255.255.0"});
  CHECK(argv::hostonlyif_remove("vboxnet0") == Argv{"hostonlyif", "remove", "vboxnet0"});
  CHECK(argv::hostonlynet_add("n", "255.255.255.0", "192.168.56.1", "192.168.56.254") ==
        Argv{"hostonlynet", "add", "--name", "n", "--netmask", "255.255.255.0", "--lower-ip",
             "192.168.56.1", "--upper-ip", "192.168.56.254", "--enable"});
  CHECK(argv::vbox_mac("52:54:00:0a:bc:de") == "5254000ABCDE");
}

TEST_CASE("is_lock_busy: only the documented transient lock errors") {
  CHECK(is_lock_busy(
      "VBoxManage: error: The machine 'x' is already locked for a session (or being unlocked)\n"
      "VBoxManage: error: Details: code VBOX_E_INVALID_OBJECT_STATE (0x80bb0007), component "
      "MachineWrap, interface IMachine, callee nsISupports\n"));
  CHECK_FALSE(
      is_lock_busy("VBoxManage: error: Could not find a registered machine named 'x'\n"
                   "VBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND "
                   "(0x80bb0001)"));
}
