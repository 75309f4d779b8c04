// Network XML, range parsing and the management subnet choice.
#include "providers/libvirt/network_xml.hpp"

#include <doctest/doctest.h>

using namespace vmlab;
using namespace vmlab::providers::libvirt;

TEST_CASE("management network XML: NAT, DHCP range and fixed hosts, no bridge name") {
  Cidr net{*parse_ip("10.251.7.0"), 24};
  auto x = mgmt_network_xml("vmlab-k8s-a1b2c3-mgmt", net,
                            {{"52:54:00:aa:bb:01", "10.251.7.10", "m-k8s"}});
  CHECK(x ==
        "<network>\n  <name>vmlab-k8s-a1b2c3-mgmt</name>\n  <forward mode='nat'/>\n"
        "  <ip address='10.251.7.1' netmask='255.255.255.0'>\n    <dhcp>\n"
        "      <range start='10.251.7.200' end='10.251.7.254'/>\n"
        "      <host mac='52:54:00:aa:bb:01' name='m-k8s' ip='10.251.7.10'/>\n"
        "    </dhcp>\n  </ip>\n</network>\n");
  auto hosts = dhcp_hosts(x);
  REQUIRE(hosts.size() == 1);
  CHECK(hosts[0].ip == "10.251.7.10");
  auto ranges = network_ranges(x);
  REQUIRE(ranges.size() == 1);
  CHECK(to_string(ranges[0]) == "10.251.7.0/24");
}

TEST_CASE("isolated network XML: no forward, gateway on the host side, no DHCP") {
  config::Network n{"lab", "192.168.56.0/24", 0xc0a83800, 24, "192.168.56.1"};
  CHECK(isolated_network_xml("vmlab-k8s-a1b2c3-lab", n) ==
        "<network>\n  <name>vmlab-k8s-a1b2c3-lab</name>\n"
        "  <ip address='192.168.56.1' netmask='255.255.255.0'/>\n</network>\n");
}

TEST_CASE("network_ranges reads netmask and prefix forms, skips IPv6") {
  auto r = network_ranges(
      "<network><ip address='192.168.122.1' netmask='255.255.255.0'/>"
      "<ip address='172.16.5.1' prefix='16'/><ip family='ipv6' address='fd00::1' prefix='64'/>"
      "</network>");
  REQUIRE(r.size() == 2);
  CHECK(to_string(r[0]) == "192.168.122.0/24");
  CHECK(to_string(r[1]) == "172.16.0.0/16");
}

TEST_CASE("overlaps compares at the shorter prefix") {
  CHECK(overlaps({*parse_ip("10.0.0.0"), 8}, {*parse_ip("10.3.4.0"), 24}));
  CHECK(overlaps({*parse_ip("10.3.4.0"), 24}, {*parse_ip("10.0.0.0"), 8}));
  CHECK_FALSE(overlaps({*parse_ip("10.3.4.0"), 24}, {*parse_ip("10.3.5.0"), 24}));
}

TEST_CASE("choose_mgmt_subnet is deterministic, in 10.251-254, and skips used ranges") {
  auto a = choose_mgmt_subnet("k8s-a1b2c3", {});
  REQUIRE(a);
  CHECK(a->prefix == 24);
  CHECK(a->base >= *parse_ip("10.251.0.0"));
  CHECK(a->base <= *parse_ip("10.254.255.0"));
  CHECK(choose_mgmt_subnet("k8s-a1b2c3", {})->base == a->base);
  auto b = choose_mgmt_subnet("k8s-a1b2c3", {*a});
  REQUIRE(b);
  CHECK(b->base != a->base);
  CHECK_FALSE(choose_mgmt_subnet("k8s-a1b2c3", {{*parse_ip("10.0.0.0"), 8}}));
  CHECK(mgmt_host_ip(*a, 0) == ip_string(a->base + 10));
  CHECK_FALSE(mgmt_host_ip(*a, 190));
}
