// The lab address check after boot: parsing the guest's `ip` output (JSON and one-line, as
// iproute2 6.1 of Debian 12 and busybox 1.35 print them), matching it against the NICs vmlab
// assigned, the error text, and `up` failing (or not) a node on the fake provider.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>

#include "executor/addresses.hpp"
#include "fake_lab.hpp"

namespace executor = vmlab::executor;
using executor::GuestNic;
using vmlab::seed::Nic;
using vmlab::test::FakeLab;

namespace {

// A guest with a management NIC (DHCP), two lab NICs and a docker bridge, `ip -j addr show`
// of iproute2 6.1 (captured on Debian 12, addresses and MACs replaced; one line as printed).
const char* kJsonAll =
    R"([{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":2,"ifname":"enp1s0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0a:0b:01","broadcast":"ff:ff:ff:ff:ff:ff","altnames":["ens1"],"addr_info":[{"family":"inet","local":"192.168.122.41","prefixlen":24,"broadcast":"192.168.122.255","scope":"global","dynamic":true,"label":"enp1s0","valid_life_time":3542,"preferred_life_time":3542},{"family":"inet6","local":"fe80::5054:ff:fe0a:b01","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":3,"ifname":"enp2s0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0a:0b:02","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"192.168.56.10","prefixlen":24,"broadcast":"192.168.56.255","scope":"global","label":"enp2s0","valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":4,"ifname":"enp3s0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0A:0B:03","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.20.0.5","prefixlen":16,"broadcast":"10.20.255.255","scope":"global","label":"enp3s0","valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":5,"ifname":"docker0","flags":["NO-CARRIER","BROADCAST","MULTICAST","UP"],"mtu":1500,"qdisc":"noqueue","operstate":"DOWN","group":"default","link_type":"ether","address":"02:42:8e:11:22:33","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"172.17.0.1","prefixlen":16,"broadcast":"172.17.255.255","scope":"global","label":"docker0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}])"
    "\n";

// The same guest after a box that ignores the network config: the lab NICs are down, no address.
const char* kJsonMissing =
    R"([{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295}]},)"
    R"({"ifindex":2,"ifname":"enp1s0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0a:0b:01","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"192.168.122.41","prefixlen":24,"broadcast":"192.168.122.255","scope":"global","dynamic":true,"label":"enp1s0","valid_life_time":3542,"preferred_life_time":3542}]},)"
    R"({"ifindex":3,"ifname":"enp2s0","flags":["BROADCAST","MULTICAST"],"mtu":1500,"qdisc":"noop","operstate":"DOWN","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0a:0b:02","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[]},)"
    R"({"ifindex":4,"ifname":"enp3s0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"fq_codel","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"52:54:00:0a:0b:03","broadcast":"ff:ff:ff:ff:ff:ff","addr_info":[{"family":"inet","local":"10.20.0.99","prefixlen":16,"broadcast":"10.20.255.255","scope":"global","dynamic":true,"label":"enp3s0","valid_life_time":3542,"preferred_life_time":3542}]}])"
    "\n";

// `ip -o link show; ip -o addr show` of busybox 1.35 (the vmlab-tiny box's ip), same guest.
const char* kOnelineAll =
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue qlen 1000\\    link/loopback "
    "00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
    "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000\\    "
    "link/ether 52:54:00:0a:0b:01 brd ff:ff:ff:ff:ff:ff\n"
    "3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000\\    "
    "link/ether 52:54:00:0a:0b:02 brd ff:ff:ff:ff:ff:ff\n"
    "4: eth2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast qlen 1000\\    "
    "link/ether 52:54:00:0a:0b:03 brd ff:ff:ff:ff:ff:ff\n"
    "5: eth2.7@eth2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue qlen 1000\\    "
    "link/ether 52:54:00:0a:0b:03 brd ff:ff:ff:ff:ff:ff\n"
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever\n"
    "2: eth0    inet 192.168.122.41/24 brd 192.168.122.255 scope global eth0\\       valid_lft "
    "forever preferred_lft forever\n"
    "2: eth0    inet6 fe80::5054:ff:fe0a:b01/64 scope link \\       valid_lft forever "
    "preferred_lft forever\n"
    "3: eth1    inet 192.168.56.10/24 brd 192.168.56.255 scope global eth1\\       valid_lft "
    "forever preferred_lft forever\n"
    "4: eth2    inet 10.20.0.99/16 scope global eth2\\       valid_lft forever preferred_lft "
    "forever\n"
    "4: eth2    inet 10.20.0.5/16 scope global secondary eth2:1\\       valid_lft forever "
    "preferred_lft forever\n";

// iproute2 6.1's one-line `ip -o link` (state, mode, group fields) with an address line
// missing for the lab NIC enp2s0.
const char* kOnelineMissing =
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group "
    "default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
    "2: enp1s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT "
    "group default qlen 1000\\    link/ether 52:54:00:0a:0b:01 brd ff:ff:ff:ff:ff:ff\n"
    "3: enp2s0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default "
    "qlen 1000\\    link/ether 52:54:00:0a:0b:02 brd ff:ff:ff:ff:ff:ff\n"
    "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever\n"
    "2: enp1s0    inet 192.168.122.41/24 brd 192.168.122.255 scope global dynamic enp1s0\\    "
    "   valid_lft 3542sec preferred_lft 3542sec\n";

const std::vector<Nic> kExpected = {
    {"52:54:00:0a:0b:01", "", "mgmt"},
    {"52:54:00:0a:0b:02", "192.168.56.10/24", "lab"},
    {"52:54:00:0a:0b:03", "10.20.0.5/16", "storage"},
};

}  // namespace

TEST_CASE("address check: ip -j addr, every lab address present (MACs matched in any case)") {
  auto nics = executor::parse_ip_addresses(kJsonAll);
  REQUIRE(nics);
  REQUIRE(nics->size() == 5);
  CHECK((*nics)[1].name == "enp1s0");
  CHECK((*nics)[1].mac == "52:54:00:0a:0b:01");
  CHECK((*nics)[1].ipv4 == std::vector<std::string>{"192.168.122.41/24"});  // inet6 left out
  CHECK((*nics)[3].mac == "52:54:00:0a:0b:03");                             // lower-cased
  CHECK(executor::missing_addresses(kExpected, *nics).empty());
}

TEST_CASE("address check: ip -j addr, a NIC without an address and one with another address") {
  auto nics = executor::parse_ip_addresses(kJsonMissing);
  REQUIRE(nics);
  auto missing = executor::missing_addresses(kExpected, *nics);
  REQUIRE(missing.size() == 2);
  CHECK(missing[0].expected.address == "192.168.56.10/24");
  REQUIRE(missing[0].found);
  CHECK(missing[0].found->name == "enp2s0");
  CHECK(missing[0].found->ipv4.empty());
  CHECK(missing[1].found->ipv4 == std::vector<std::string>{"10.20.0.99/16"});
}

TEST_CASE("address check: one-line ip -o link + ip -o addr (busybox), secondary addresses count") {
  auto nics = executor::parse_ip_addresses(kOnelineAll);
  REQUIRE(nics);
  REQUIRE(nics->size() == 5);
  CHECK((*nics)[2].name == "eth1");
  CHECK((*nics)[2].mac == "52:54:00:0a:0b:02");
  CHECK((*nics)[3].ipv4 == std::vector<std::string>{"10.20.0.99/16", "10.20.0.5/16"});
  CHECK((*nics)[4].name == "eth2.7");  // "@eth2" dropped
  CHECK(executor::missing_addresses(kExpected, *nics).empty());
}

TEST_CASE("address check: one-line iproute2 output, lab NIC without address, NIC absent") {
  auto nics = executor::parse_ip_addresses(kOnelineMissing);
  REQUIRE(nics);
  REQUIRE(nics->size() == 3);
  auto missing = executor::missing_addresses(kExpected, *nics);
  REQUIRE(missing.size() == 2);
  CHECK(missing[0].found->name == "enp2s0");
  CHECK_FALSE(missing[1].found);  // no interface has 52:54:00:0a:0b:03
}

TEST_CASE("address check: a prefix that differs is not the address asked for") {
  std::vector<GuestNic> guest{{"eth1", "52:54:00:0a:0b:02", {"192.168.56.10/32"}}};
  CHECK(executor::missing_addresses({kExpected[1]}, guest).size() == 1);
}

TEST_CASE("address check: output that lists no interface is not parsed") {
  CHECK_FALSE(executor::parse_ip_addresses(""));
  CHECK_FALSE(executor::parse_ip_addresses("\n  \n"));
  CHECK_FALSE(executor::parse_ip_addresses("sh: ip: not found\n"));
  CHECK_FALSE(executor::parse_ip_addresses("[]\n"));
  CHECK_FALSE(executor::parse_ip_addresses("[{\"ifindex\":1, broken"));
}

TEST_CASE("address check: the error names each NIC, its address, what it has, and the cause") {
  auto missing =
      executor::missing_addresses(kExpected, *executor::parse_ip_addresses(kOnelineMissing));
  vmlab::boxes::Box box;
  box.seed = "cloud-init";
  CHECK(executor::describe_missing(missing, executor::missing_address_cause(box), 15.04) ==
        "lab addresses missing after boot (waited 15.0s):\n"
        "    NIC enp2s0 (52:54:00:0a:0b:02, network lab): expected 192.168.56.10/24, has no IPv4 "
        "address\n"
        "    NIC 52:54:00:0a:0b:03 (network storage): expected 10.20.0.5/16, but the guest has no "
        "interface with that MAC\n"
        "    likely cause: the box's cloud-init did not apply the network config: it ignores the "
        "seed's network-config when its own configuration says `network: {config: disabled}` "
        "(look in /etc/cloud/cloud.cfg and /etc/cloud/cloud.cfg.d/ of the box)");
  box.seed = "vmlab-init";
  CHECK(executor::missing_address_cause(box) ==
        "the box's init did not apply vmlab/interfaces of the seed (see boxes/README.md)");
  CHECK(executor::missing_address_cause(std::nullopt) ==
        "the guest did not apply the network config of its seed");
}

namespace {

const char* kLab =
    "name = \"addr\"\n[defaults]\nbox = \"b\"\n"
    "[[network]]\nname = \"lab\"\ncidr = \"192.168.56.0/24\"\n"
    "[[node]]\nname = \"a\"\nip = \"192.168.56.10\"\n"
    "  [[node.provision]]\n  name = \"s1\"\n  type = \"shell\"\n  inline = \"echo a\"\n"
    "[[node]]\nname = \"b\"\nip = \"192.168.56.11\"\n";

// `ip -o` lines of a guest that has its management NIC and, if `with_lab`, its lab address.
std::string guest_ip(const std::string& lab_id, const std::string& node, const std::string& ip,
                     bool with_lab) {
  std::string out = fmt::format(
      "2: eth0: <UP> mtu 1500\\    link/ether {} brd ff:ff:ff:ff:ff:ff\n"
      "3: eth1: <UP> mtu 1500\\    link/ether {} brd ff:ff:ff:ff:ff:ff\n"
      "2: eth0    inet 192.168.122.7/24 scope global eth0\n",
      vmlab::seed::mac_for(lab_id, node, 0), vmlab::seed::mac_for(lab_id, node, 1));
  if (with_lab) out += fmt::format("3: eth1    inet {}/24 scope global eth1\n", ip);
  return out;
}

}  // namespace

TEST_CASE("up: a node whose lab address never appears fails, naming the NIC; the others finish") {
  FakeLab f(kLab);
  std::atomic<int> listings{0};
  f.guests.answer = [&](const std::string& node, const std::string& cmd) -> std::string {
    if (cmd.find("ip -j addr") == std::string::npos) return "";
    if (node == "a") ++listings;
    return guest_ip(f.lab.lab_id, node, node == "a" ? "192.168.56.10" : "192.168.56.11",
                    node == "b");
  };
  vmlab::test::CaptureStdout out;
  executor::UpOptions o;
  o.address_wait = std::chrono::milliseconds(1200);
  CHECK_FALSE(f.up(o));
  const std::string text = out.text();
  CHECK(text.find(fmt::format("NIC eth1 ({}, network lab): expected 192.168.56.10/24, has no IPv4 "
                              "address",
                              vmlab::seed::mac_for(f.lab.lab_id, "a", 1))) != std::string::npos);
  CHECK(text.find("likely cause: the guest did not apply the network config of its seed") !=
        std::string::npos);
  CHECK(listings >= 3);                     // asked again while waiting, not once
  CHECK(listings <= 5);                     // ... every 0.5 s, bounded by address_wait
  CHECK(f.guests.scripts_of("a").empty());  // no step ran on a node without its address
  CHECK(f.lab.store->get().machines["b"].provisioned);
}

TEST_CASE("up: a lab address that appears a moment after SSH answers is waited for") {
  FakeLab f(kLab);
  std::atomic<int> listings{0};
  f.guests.answer = [&](const std::string& node, const std::string& cmd) -> std::string {
    if (cmd.find("ip -j addr") == std::string::npos) return "";
    const bool there = node == "b" || ++listings > 1;  // a: missing at the first listing
    return guest_ip(f.lab.lab_id, node, node == "a" ? "192.168.56.10" : "192.168.56.11", there);
  };
  CHECK(f.up());
  CHECK(listings == 2);
  CHECK(f.guests.scripts_of("a") == std::vector<std::string>{"echo a"});
}

TEST_CASE("up: a guest without `ip` is a warning, not a failure") {
  FakeLab f(kLab);  // the fake remote prints nothing for the listing
  vmlab::test::CaptureStdout out;
  CHECK(f.up());
  CHECK(out.text().find("could not check its lab addresses: the guest's `ip` listed no interface "
                        "(exit status 0)") != std::string::npos);
}
