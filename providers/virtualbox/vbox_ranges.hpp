#pragma once
// VirtualBox (>= 6.1.28) only lets host-only adapters use addresses in allowed ranges:
// 192.168.56.0/21 unless /etc/vbox/networks.conf lists others ("* 10.0.0.0/8 192.168.0.0/16").
// vmlab checks every lab network against them before anything is created.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vmlab::vbox {

struct Ipv4Range {
  std::uint32_t base = 0;  // host byte order, masked
  int prefix = 0;
  std::string text;  // "192.168.56.0/21"
  bool contains(std::uint32_t base, int prefix) const;
};

std::optional<Ipv4Range> parse_cidr(const std::string& cidr);

// Parses networks.conf: lines "* RANGE [RANGE...]", '#' starts a comment line, IPv6 ranges
// are skipped. Returns the IPv4 ranges in file order.
std::vector<Ipv4Range> parse_networks_conf(const std::string& text);

// The ranges in effect: $VMLAB_VBOX_NETWORKS_CONF (tests) else /etc/vbox/networks.conf; the
// default 192.168.56.0/21 when the file does not exist or lists no IPv4 range.
std::vector<Ipv4Range> allowed_ranges();

// The message for the first host-only lab network outside `allowed`, nullopt if all fit.
// Internal networks have no host side and are not checked.
std::optional<std::string> check_network_ranges(const config::Topology& topo,
                                                const std::vector<Ipv4Range>& allowed);

// Dotted netmask for a prefix: 24 -> "255.255.255.0".
std::string netmask_of(int prefix);
std::string ipv4_to_string(std::uint32_t addr);

}  // namespace vmlab::vbox
