// Unit tests of VirtualBox's host-only range rule (default 192.168.56.0/21, networks.conf).
#include <doctest/doctest.h>

#include <cstdlib>

#include "providers/virtualbox/vbox_ranges.hpp"
#include "testutil.hpp"

using namespace vmlab::vbox;

namespace {
vmlab::config::Topology topo_with(const std::string& name, const std::string& cidr,
                                  bool internal = false) {
  vmlab::config::Topology t;
  auto r = parse_cidr(cidr);
  REQUIRE(r);
  vmlab::config::Network n;
  n.name = name;
  n.cidr = cidr;
  n.base = r->base;
  n.prefix = r->prefix;
  n.internal = internal;
  t.networks.push_back(n);
  return t;
}
}  // namespace

TEST_CASE("parse_networks_conf: the manual's examples") {
  auto r = parse_networks_conf("# allowed\n* 10.0.0.0/8 192.168.0.0/16\n* 2001::/64\n");
  REQUIRE(r.size() == 2);
  CHECK(r[0].text == "10.0.0.0/8");
  CHECK(r[1].text == "192.168.0.0/16");
  auto any = parse_networks_conf("* 0.0.0.0/0 ::/0\n");
  REQUIRE(any.size() == 1);
  CHECK(any[0].contains(parse_cidr("172.16.5.0/24")->base, 24));
  CHECK(parse_networks_conf("#* 10.0.0.0/8\n").empty());
}

TEST_CASE("range containment") {
  auto def = *parse_cidr("192.168.56.0/21");
  CHECK(def.contains(parse_cidr("192.168.56.0/24")->base, 24));
  CHECK(def.contains(parse_cidr("192.168.63.0/24")->base, 24));
  CHECK_FALSE(def.contains(parse_cidr("192.168.64.0/24")->base, 24));
  CHECK_FALSE(def.contains(parse_cidr("192.168.0.0/16")->base, 16));  // wider than allowed
  CHECK(netmask_of(24) == "255.255.255.0");
  CHECK(netmask_of(21) == "255.255.248.0");
  CHECK_FALSE(parse_cidr("10.0.0.0/33"));
  CHECK_FALSE(parse_cidr("10.0.0/8"));
}

TEST_CASE("check_network_ranges: exact message naming network, cidr and allowed ranges") {
  std::vector<Ipv4Range> def = {*parse_cidr("192.168.56.0/21")};
  CHECK_FALSE(check_network_ranges(topo_with("lab", "192.168.56.0/24"), def));
  auto msg = check_network_ranges(topo_with("lab", "10.10.0.0/24"), def);
  REQUIRE(msg);
  CHECK(*msg ==
        "network \"lab\" (10.10.0.0/24) is outside the host-only ranges VirtualBox allows "
        "(192.168.56.0/21); use a range inside them, or allow it with a line "
        "\"* 10.10.0.0/24\" in /etc/vbox/networks.conf");
  CHECK_FALSE(check_network_ranges(topo_with("back", "10.10.0.0/24", true), def));
}

TEST_CASE("allowed_ranges reads VMLAB_VBOX_NETWORKS_CONF, else the default") {
  vmlab::test::TempDir dir;
  auto conf = dir.write("networks.conf", "* 10.0.0.0/8 192.168.0.0/16\n");
  setenv("VMLAB_VBOX_NETWORKS_CONF", conf.c_str(), 1);
  auto r = allowed_ranges();
  REQUIRE(r.size() == 2);
  CHECK(r[0].text == "10.0.0.0/8");
  setenv("VMLAB_VBOX_NETWORKS_CONF", (dir / "missing.conf").c_str(), 1);
  r = allowed_ranges();
  REQUIRE(r.size() == 1);
  CHECK(r[0].text == "192.168.56.0/21");
  unsetenv("VMLAB_VBOX_NETWORKS_CONF");
}
