#include "core/text_util.hpp"
#include "providers/libvirt/network_xml.hpp"

#include <fmt/format.h>

#include "providers/libvirt/xml.hpp"

namespace vmlab::providers::libvirt {
namespace {

std::uint32_t mask_of(int prefix) {
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
}

int prefix_of_mask(std::uint32_t mask) {
  int p = 0;
  while (p < 32 && (mask & (0x80000000u >> p))) ++p;
  return p;
}

using util::fnv1a;

constexpr std::uint32_t kMgmtFirst = (10u << 24) | (251u << 16);  // 10.251.0.0
constexpr std::uint32_t kMgmtSlots = 4 * 256;                     // .. 10.254.255.0/24

}  // namespace

bool overlaps(const Cidr& a, const Cidr& b) {
  std::uint32_t m = mask_of(std::min(a.prefix, b.prefix));
  return (a.base & m) == (b.base & m);
}

std::string ip_string(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

std::string to_string(const Cidr& c) {
  return fmt::format("{}/{}", ip_string(c.base), c.prefix);
}

std::optional<std::uint32_t> parse_ip(const std::string& s) {
  unsigned a, b, c, d;
  char tail;
  if (std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4) return std::nullopt;
  if (a > 255 || b > 255 || c > 255 || d > 255) return std::nullopt;
  return (a << 24) | (b << 16) | (c << 8) | d;
}

std::vector<Cidr> network_ranges(const std::string& network_xml) {
  std::vector<Cidr> out;
  for (auto& ip : xml::elements(network_xml, "ip")) {
    if (ip.count("family") && ip["family"] != "ipv4") continue;
    auto addr = parse_ip(ip["address"]);
    if (!addr) continue;
    int prefix = 24;
    if (ip.count("prefix")) {
      prefix = std::atoi(ip["prefix"].c_str());
    } else if (auto mask = parse_ip(ip["netmask"])) {
      prefix = prefix_of_mask(*mask);
    }
    out.push_back({*addr & mask_of(prefix), prefix});
  }
  return out;
}

std::vector<DhcpHost> dhcp_hosts(const std::string& network_xml) {
  std::vector<DhcpHost> out;
  for (auto& h : xml::elements(network_xml, "host"))
    if (h.count("mac") && h.count("ip")) out.push_back({h["mac"], h["ip"], h["name"]});
  return out;
}

std::string dhcp_host_xml(const DhcpHost& h) {
  return fmt::format("<host mac='{}' name='{}' ip='{}'/>", xml::escape(h.mac), xml::escape(h.name),
                     xml::escape(h.ip));
}

std::optional<Cidr> choose_mgmt_subnet(const std::string& lab_id, const std::vector<Cidr>& used) {
  std::uint32_t start = static_cast<std::uint32_t>(fnv1a(lab_id) % kMgmtSlots);
  for (std::uint32_t i = 0; i < kMgmtSlots; ++i) {
    Cidr c{kMgmtFirst + (((start + i) % kMgmtSlots) << 8), 24};
    bool taken = false;
    for (const auto& u : used) taken = taken || overlaps(c, u);
    if (!taken) return c;
  }
  return std::nullopt;
}

std::optional<std::string> mgmt_host_ip(const Cidr& subnet, int index) {
  if (index < 0 || index > 189) return std::nullopt;
  return ip_string(subnet.base + 10 + static_cast<std::uint32_t>(index));
}

std::string mgmt_network_xml(const std::string& name, const Cidr& subnet,
                             const std::vector<DhcpHost>& hosts) {
  std::string x =
      fmt::format("<network>\n  <name>{}</name>\n  <forward mode='nat'/>\n", xml::escape(name));
  x += fmt::format("  <ip address='{}' netmask='255.255.255.0'>\n    <dhcp>\n",
                   ip_string(subnet.base + 1));
  x += fmt::format("      <range start='{}' end='{}'/>\n", ip_string(subnet.base + 200),
                   ip_string(subnet.base + 254));
  for (const auto& h : hosts) x += "      " + dhcp_host_xml(h) + "\n";
  x += "    </dhcp>\n  </ip>\n</network>\n";
  return x;
}

std::string isolated_network_xml(const std::string& name, const config::Network& net) {
  return fmt::format(
      "<network>\n  <name>{}</name>\n  <ip address='{}' netmask='{}'/>\n</network>\n",
      xml::escape(name), xml::escape(net.gateway), ip_string(mask_of(net.prefix)));
}

}  // namespace vmlab::providers::libvirt
