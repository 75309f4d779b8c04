// Exact text of diagnostics about nodes, networks, addresses, ports and sizes.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::kLab;
using vmlab::test::problems;

namespace {
std::string lab(const std::string& rest) {
  return std::string(kLab) + rest;
}
}  // namespace

TEST_CASE("a bad size names the accepted units and the value given") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nmemory = \"2 gigs\"\n")) ==
        "Vmfile:9:10: node[0].memory: invalid size \"2 gigs\": use a number with MiB, GiB or TiB "
        "(e.g. \"512MiB\", \"2GiB\"); a bare integer means MiB");
}

TEST_CASE("a zero or negative size is rejected") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\ndisk = 0\nmemory = \"-1GiB\"\n")) ==
        "Vmfile:9:8: node[0].disk: invalid size \"0\": must be greater than zero\n"
        "Vmfile:10:10: node[0].memory: invalid size \"-1GiB\": must be greater than zero");
}

TEST_CASE("a size that is not a whole number of MiB is rejected") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nmemory = \"1.3GiB\"\n")) ==
        "Vmfile:9:10: node[0].memory: invalid size \"1.3GiB\": not a whole number of MiB");
}

TEST_CASE("an invalid hostname is reported after expansion") {
  CHECK(problems(lab("[[node]]\nname = \"Node_1\"\n")) ==
        "Vmfile:8:8: node[0].name: invalid hostname \"Node_1\": use 1-63 lowercase letters, "
        "digits and '-', not starting or ending with '-'");
}

TEST_CASE("a hostname longer than 63 characters is invalid") {
  const std::string name(64, 'a');
  CHECK(problems(lab("[[node]]\nname = \"" + name + "\"\n")) ==
        "Vmfile:8:8: node[0].name: invalid hostname \"" + name +
            "\": use 1-63 lowercase letters, digits and '-', not starting or ending with '-'");
}

TEST_CASE("duplicate node names are found after group expansion") {
  CHECK(problems(lab("[[node]]\nname = \"w2\"\n[[node]]\nname = \"w{i}\"\ncount = 2\n")) ==
        "Vmfile:10:8: node[1].name: duplicate node name \"w2\" (also node[0])");
}

TEST_CASE("count must be at least 1") {
  CHECK(problems(lab("[[node]]\nname = \"w{i}\"\ncount = 0\n")) ==
        "Vmfile:9:9: node[0].count: count must be at least 1, got 0");
}

TEST_CASE("a group with count > 1 needs {i} in its name") {
  CHECK(problems(lab("[[node]]\nname = \"web\"\ncount = 2\n")) ==
        "Vmfile:8:8: node[0].name: a group (count = 2) needs \"{i}\" in its name, e.g. "
        "\"web{i}\"; got \"web\"");
}

TEST_CASE("cpus must be at least 1") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\ncpus = 0\n")) ==
        "Vmfile:9:8: node[0].cpus: cpus must be between 1 and 1024, got 0");
}

TEST_CASE("box is required after defaults") {
  CHECK(problems("[[node]]\nname = \"a\"\n") ==
        "Vmfile:1:1: node[0]: missing required key \"box\" (set it here or in [defaults])");
}

TEST_CASE("a node needs a name") {
  CHECK(problems(lab("[[node]]\ncpus = 2\n")) ==
        "Vmfile:7:1: node[0]: missing required key \"name\"");
}

TEST_CASE("bad IP syntax") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nip = \"192.168.56.300\"\n")) ==
        "Vmfile:9:6: node[0].ip: invalid IPv4 address \"192.168.56.300\": expected four numbers "
        "0-255 like \"192.168.56.10\"");
}

TEST_CASE("an IP outside every network lists the networks") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nip = \"10.0.0.5\"\n")) ==
        "Vmfile:9:6: node[0].ip: 10.0.0.5 is not inside any network (lab 192.168.56.0/24)");
}

TEST_CASE("an IP without any network says none is defined") {
  CHECK(problems("[defaults]\nbox = \"b\"\n[[node]]\nname = \"a\"\nip = \"10.0.0.5\"\n") ==
        "Vmfile:5:6: node[0].ip: 10.0.0.5 is not inside any network (no [[network]] is defined)");
}

TEST_CASE("the network address, the gateway and the broadcast address are not for nodes") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nip = \"192.168.56.0\"\n"
                     "[[node]]\nname = \"b\"\nip = \"192.168.56.1\"\n"
                     "[[node]]\nname = \"c\"\nip = \"192.168.56.255\"\n")) ==
        "Vmfile:9:6: node[0].ip: 192.168.56.0 of \"a\" is the network address of network \"lab\" "
        "192.168.56.0/24; nodes use 192.168.56.2 to 192.168.56.254\n"
        "Vmfile:12:6: node[1].ip: 192.168.56.1 of \"b\" is the gateway (the host's side) of "
        "network \"lab\" 192.168.56.0/24; nodes use 192.168.56.2 to 192.168.56.254\n"
        "Vmfile:15:6: node[2].ip: 192.168.56.255 of \"c\" is the broadcast address of network "
        "\"lab\" 192.168.56.0/24; nodes use 192.168.56.2 to 192.168.56.254");
}

TEST_CASE("duplicate IPs are found across group expansion") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nip = \"192.168.56.12\"\n"
                     "[[node]]\nname = \"w{i}\"\ncount = 3\nip = \"192.168.56.10\"\n")) ==
        "Vmfile:13:6: node[1].ip: 192.168.56.12 of \"w3\" is already the address of \"a\"");
}

TEST_CASE("a group running off the end of its network") {
  CHECK(problems(lab("[[node]]\nname = \"w{i}\"\ncount = 3\nip = \"192.168.56.254\"\n")) ==
        "Vmfile:10:6: node[0].ip: 192.168.56.255 of \"w2\" is the broadcast address of network "
        "\"lab\" 192.168.56.0/24; nodes use 192.168.56.2 to 192.168.56.254\n"
        "Vmfile:10:6: node[0].ip: group member \"w3\" would get 192.168.57.0, outside network "
        "\"lab\" 192.168.56.0/24");
}

TEST_CASE("two addresses on the same network") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nip = [\"192.168.56.10\", \"192.168.56.11\"]\n")) ==
        "Vmfile:9:24: node[0].ip[1]: 192.168.56.11 is on network \"lab\" like 192.168.56.10; give "
        "one address per network");
}

TEST_CASE("a bad CIDR and a CIDR with host bits set") {
  CHECK(problems("[[network]]\nname = \"a\"\ncidr = \"10.0.0.0\"\n"
                 "[[network]]\nname = \"b\"\ncidr = \"10.1.0.5/24\"\n") ==
        "Vmfile:3:8: network[0].cidr: invalid CIDR \"10.0.0.0\": expected an IPv4 network like "
        "\"192.168.56.0/24\"\n"
        "Vmfile:6:8: network[1].cidr: invalid CIDR \"10.1.0.5/24\": host bits are set (did you "
        "mean \"10.1.0.0/24\"?)");
}

TEST_CASE("a CIDR prefix outside 8..30") {
  CHECK(problems("[[network]]\nname = \"a\"\ncidr = \"10.0.0.0/31\"\n") ==
        "Vmfile:3:8: network[0].cidr: invalid CIDR \"10.0.0.0/31\": the prefix length must be "
        "between 8 and 30, got 31");
}

TEST_CASE("overlapping networks and duplicate network names") {
  CHECK(problems("[[network]]\nname = \"lab\"\ncidr = \"192.168.56.0/24\"\n"
                 "[[network]]\nname = \"lab\"\ncidr = \"192.168.56.128/25\"\n") ==
        "Vmfile:5:8: network[1].name: duplicate network name \"lab\" (also network[0])\n"
        "Vmfile:6:8: network[1].cidr: network 192.168.56.128/25 overlaps lab 192.168.56.0/24 "
        "(network[0])");
}

TEST_CASE("duplicate host ports are found after group expansion") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nforward = [{ guest = 80, host = 8081 }]\n"
                     "[[node]]\nname = \"w{i}\"\ncount = 2\n"
                     "forward = [{ guest = 80, host = 8080 }]\n")) ==
        "Vmfile:13:33: node[1].forward[0].host: host port 8081/tcp of \"w2\" is already forwarded "
        "to \"a\"");
}

TEST_CASE("the same host port on tcp and udp is fine") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nforward = [{ guest = 53, host = 5353 }, "
                     "{ guest = 53, host = 5353, protocol = \"udp\" }]\n")) == "ok");
}

TEST_CASE("host ports out of range, also after group expansion") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nforward = [{ guest = 80, host = 70000 }]\n"
                     "[[node]]\nname = \"w{i}\"\ncount = 2\n"
                     "forward = [{ guest = 80, host = 65535 }]\n")) ==
        "Vmfile:9:33: node[0].forward[0].host: host port 70000 is out of range 1..65535\n"
        "Vmfile:13:33: node[1].forward[0].host: host port 65536 of \"w2\" is out of range "
        "1..65535");
}

TEST_CASE("a forward needs guest and host, and tcp or udp") {
  CHECK(
      problems(lab("[[node]]\nname = \"a\"\nforward = [{ guest = 80, protocol = \"sctp\" }]\n")) ==
      "Vmfile:9:12: node[0].forward[0]: missing required key \"host\"\n"
      "Vmfile:9:37: node[0].forward[0].protocol: invalid protocol \"sctp\"; allowed: tcp, udp");
}

TEST_CASE("an unknown provider lists the allowed ones") {
  CHECK(problems("provider = \"vmware\"\n") ==
        "Vmfile:1:12: provider: unknown provider \"vmware\"; allowed: libvirt, virtualbox");
}

TEST_CASE("an invalid lab name") {
  CHECK(problems("name = \"My Lab\"\n") ==
        "Vmfile:1:8: name: invalid lab name \"My Lab\": use 1-63 lowercase letters, digits and "
        "'-', not starting or ending with '-'");
}

TEST_CASE("every problem is reported, sorted by line and column") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\ncpus = 0\nmemory = \"lots\"\n"
                     "[[node]]\nname = \"a\"\nip = \"1.2.3\"\n")) ==
        "Vmfile:9:8: node[0].cpus: cpus must be between 1 and 1024, got 0\n"
        "Vmfile:10:10: node[0].memory: invalid size \"lots\": use a number with MiB, GiB or TiB "
        "(e.g. \"512MiB\", \"2GiB\"); a bare integer means MiB\n"
        "Vmfile:12:8: node[1].name: duplicate node name \"a\" (also node[0])\n"
        "Vmfile:13:6: node[1].ip: invalid IPv4 address \"1.2.3\": expected four numbers 0-255 "
        "like \"192.168.56.10\"");
}

TEST_CASE("count above the limit names the limit and the value given") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"w{i}\"\ncount = 100000000\n") ==
        "Vmfile:9:9: node[0].count: count 100000000 is above the limit of 1000 nodes per group");
}

TEST_CASE("a box name is checked where it is written") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"a\"\nbox = \"../../x\"\n") ==
        "Vmfile:9:7: node[0].box: invalid box name \"../../x\": use letters, digits, '.', '_' "
        "and '-' (not first), at most 64");
  CHECK(problems("[defaults]\nbox = \"a/b\"\n[[node]]\nname = \"a\"\n") ==
        "Vmfile:2:7: defaults.box: invalid box name \"a/b\": use letters, digits, '.', '_' and "
        "'-' (not first), at most 64");
}
