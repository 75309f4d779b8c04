#pragma once
// Lab networks as libvirt sees them: the per-lab management network (NAT + DHCP with one fixed
// host entry per machine), one isolated network per [[network]], and reading the address
// ranges of existing networks to avoid collisions. Pure functions (unit-tested by text).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vmlab::providers::libvirt {

struct Cidr {
  std::uint32_t base = 0;  // host byte order
  int prefix = 0;
};
bool overlaps(const Cidr& a, const Cidr& b);
std::string to_string(const Cidr& c);       // "10.251.3.0/24"
std::string ip_string(std::uint32_t addr);  // "10.251.3.1"
std::optional<std::uint32_t> parse_ip(const std::string& s);

// IPv4 ranges of one libvirt network (<ip address= netmask=|prefix=>), as network CIDRs.
std::vector<Cidr> network_ranges(const std::string& network_xml);

struct DhcpHost {
  std::string mac;
  std::string ip;
  std::string name;
};
std::vector<DhcpHost> dhcp_hosts(const std::string& network_xml);
std::string dhcp_host_xml(const DhcpHost& h);

// The management /24 of a lab: inside 10.251.0.0-10.254.255.0 (1024 candidates), starting at
// a slot derived from the lab id and skipping every candidate that overlaps `used`; nullopt if
// all are taken. The choice is recorded in the network's own <ip> element.
std::optional<Cidr> choose_mgmt_subnet(const std::string& lab_id, const std::vector<Cidr>& used);

// Address of the i-th (0-based) machine on the management subnet: .10 + i (up to .199).
std::optional<std::string> mgmt_host_ip(const Cidr& subnet, int index);

// NAT, DHCP range .200-.254 for strangers, fixed hosts; libvirt picks the bridge name.
std::string mgmt_network_xml(const std::string& name, const Cidr& subnet,
                             const std::vector<DhcpHost>& hosts);
// No <forward>, the gateway address on the host side, no DHCP.
std::string isolated_network_xml(const std::string& name, const config::Network& net);

}  // namespace vmlab::providers::libvirt
