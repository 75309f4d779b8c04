// Unit tests of the VBoxManage output parsers, with samples in the formats of the VirtualBox
// manual's VBoxManage chapter (showvminfo --machinereadable, list vms, list hostonlyifs).
#include <doctest/doctest.h>

#include "providers/virtualbox/vbox_parse.hpp"

using namespace vmlab::vbox;

TEST_CASE("parse_version: release, build suffix, distro suffix and warnings") {
  auto v = parse_version("7.0.20r163906\n");
  REQUIRE(v);
  CHECK(v->major == 7);
  CHECK(v->minor == 0);
  CHECK(v->patch == 20);
  CHECK(v->text == "7.0.20r163906");
  auto u = parse_version("6.1.50_Ubuntur161033\n");
  REQUIRE(u);
  CHECK(*u == Version{6, 1, 50, ""});
  auto w = parse_version(
      "WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n"
      "         available for the current kernel (6.1.0-13-amd64) or it failed to\n"
      "7.1.4r165100\n");
  REQUIRE(w);
  CHECK(w->major == 7);
  CHECK(w->minor == 1);
  CHECK_FALSE(parse_version("VBoxManage: error: nothing\n"));
}

TEST_CASE("Version ordering: 6.1 is the minimum, newer majors are not refused") {
  Version min{6, 1, 0, "6.1"};
  CHECK(*parse_version("6.0.24r139119") < min);
  CHECK_FALSE(*parse_version("6.1.0r1") < min);
  CHECK(*parse_version("7.0.20r163906") > min);
  CHECK(*parse_version("8.0.0r1") > *parse_version("7.9.99r1"));
  CHECK(*parse_version("6.1.10r1") > *parse_version("6.1.9r1"));  // numeric, not text
}

TEST_CASE("parse_machinereadable: quoted, unquoted and quoted-key lines") {
  const char* sample =
      "name=\"k8s-node1\"\n"
      "groups=\"/\"\n"
      "ostype=\"Debian (64-bit)\"\n"
      "UUID=\"0b4b9d8e-5b8b-4c8a-9b1e-2e6f0d3b7d11\"\n"
      "memory=2048\n"
      "cpus=2\n"
      "VMState=\"poweroff\"\n"
      "VMStateChangeTime=\"2024-05-02T10:11:12.000000000\"\n"
      "storagecontrollername0=\"SATA Controller\"\n"
      "\"SATA Controller-0-0\"=\"/home/u/VirtualBox VMs/k8s-node1/box-disk001.vmdk\"\n"
      "\"SATA Controller-1-0\"=\"/tmp/seed.iso\"\n"
      "natnet1=\"nat\"\n"
      "macaddress1=\"080027A1B2C3\"\n"
      "nic1=\"nat\"\n"
      "Forwarding(0)=\"ssh,tcp,127.0.0.1,2222,,22\"\n"
      "Forwarding(1)=\"web,tcp,,8080,,80\"\n"
      "hostonlyadapter2=\"vboxnet0\"\n"
      "nic2=\"hostonly\"\n"
      "description=\"two\n"
      "lines\"\n";
  auto m = parse_machinereadable(sample);
  CHECK(m["name"] == "k8s-node1");
  CHECK(m["ostype"] == "Debian (64-bit)");
  CHECK(m["memory"] == "2048");
  CHECK(m["VMState"] == "poweroff");
  CHECK(m["SATA Controller-1-0"] == "/tmp/seed.iso");
  CHECK(m["hostonlyadapter2"] == "vboxnet0");
  CHECK(m.count("lines\"") == 0);
  auto rules = forwarding_rules(m);
  REQUIRE(rules.size() == 2);
  CHECK(rules[0].name == "ssh");
  CHECK(rules[0].host_ip == "127.0.0.1");
  CHECK(rules[0].host_port == 2222);
  CHECK(rules[0].guest_port == 22);
  CHECK(rules[1].host_ip == "");
  CHECK(rules[1].to_string() == "web,tcp,,8080,,80");
}

TEST_CASE("parse_nat_rule rejects malformed rules") {
  CHECK_FALSE(parse_nat_rule("ssh,tcp,127.0.0.1,2222,22"));
  CHECK_FALSE(parse_nat_rule("ssh,icmp,127.0.0.1,2222,,22"));
  CHECK_FALSE(parse_nat_rule("ssh,tcp,127.0.0.1,x,,22"));
  CHECK(parse_nat_rule("dns,udp,,5353,,53")->protocol == "udp");
}

TEST_CASE("parse_list_vms: names with spaces and quotes, junk lines ignored") {
  auto vms = parse_list_vms(
      "\"Windows 10\" {5bd1f7b8-1e76-4d6a-b0b1-2c4d3e5f6a7b}\n"
      "\"vmlab-k8s-a1b2c3-m-k8s\" {c2c0c0de-0000-4000-8000-000000000001}\n"
      "\"say \"hi\"\" {c2c0c0de-0000-4000-8000-000000000002}\n"
      "WARNING: something\n");
  REQUIRE(vms.size() == 3);
  CHECK(vms[0].name == "Windows 10");
  CHECK(vms[0].uuid == "5bd1f7b8-1e76-4d6a-b0b1-2c4d3e5f6a7b");
  CHECK(vms[1].name == "vmlab-k8s-a1b2c3-m-k8s");
  CHECK(vms[2].name == "say \"hi\"");
  CHECK(parse_list_vms("").empty());
}

TEST_CASE("parse_hostonlyifs: blocks as printed by `list hostonlyifs`") {
  const char* sample =
      "Name:            vboxnet0\n"
      "GUID:            786f6276-656e-4074-8000-0a0027000000\n"
      "DHCP:            Disabled\n"
      "IPAddress:       192.168.56.1\n"
      "NetworkMask:     255.255.255.0\n"
      "IPV6Address:     fe80::800:27ff:fe00:0\n"
      "IPV6NetworkMaskPrefixLength: 64\n"
      "HardwareAddress: 0a:00:27:00:00:00\n"
      "MediumType:      Ethernet\n"
      "Wireless:        No\n"
      "Status:          Up\n"
      "VBoxNetworkName: HostInterfaceNetworking-vboxnet0\n"
      "\n"
      "Name:            vboxnet1\n"
      "GUID:            786f6276-656e-4174-8000-0a0027000001\n"
      "DHCP:            Disabled\n"
      "IPAddress:       192.168.57.1\n"
      "NetworkMask:     255.255.255.0\n"
      "VBoxNetworkName: HostInterfaceNetworking-vboxnet1\n";
  auto ifs = parse_hostonlyifs(sample);
  REQUIRE(ifs.size() == 2);
  CHECK(ifs[0].name == "vboxnet0");
  CHECK(ifs[0].ip == "192.168.56.1");
  CHECK(ifs[0].netmask == "255.255.255.0");
  CHECK(ifs[1].name == "vboxnet1");
  CHECK(ifs[1].ip == "192.168.57.1");
}

TEST_CASE("parse_created_interface and the NAT redirect failure") {
  CHECK(parse_created_interface("0%...100%\nInterface 'vboxnet3' was successfully created\n") ==
        "vboxnet3");
  CHECK_FALSE(parse_created_interface("something else"));
  const char* err =
      "VBoxManage: error: NAT#0: configuration error: failed to set up redirection of 2201 to "
      "22. Probably a conflict with existing services or other rules (VERR_NAT_REDIR_SETUP).\n"
      "VBoxManage: error: Details: code NS_ERROR_FAILURE (0x80004005), component ConsoleWrap, "
      "interface IConsole\n";
  CHECK(nat_redirect_failure_port(err) == 2201);
  CHECK_FALSE(nat_redirect_failure_port("VBoxManage: error: something else"));
}
