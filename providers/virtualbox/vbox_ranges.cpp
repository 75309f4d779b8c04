#include "providers/virtualbox/vbox_ranges.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/settings.hpp"

namespace vmlab::vbox {
namespace {

std::uint32_t mask_of(int prefix) {
  return prefix == 0 ? 0 : (0xFFFFFFFFu << (32 - prefix));
}

}  // namespace

bool Ipv4Range::contains(std::uint32_t other_base, int other_prefix) const {
  return other_prefix >= prefix && (other_base & mask_of(prefix)) == base;
}

std::optional<Ipv4Range> parse_cidr(const std::string& cidr) {
  unsigned a, b, c, d;
  int prefix;
  char tail;
  if (std::sscanf(cidr.c_str(), "%u.%u.%u.%u/%d%c", &a, &b, &c, &d, &prefix, &tail) != 5)
    return std::nullopt;
  if (a > 255 || b > 255 || c > 255 || d > 255 || prefix < 0 || prefix > 32) return std::nullopt;
  std::uint32_t addr = (a << 24) | (b << 16) | (c << 8) | d;
  Ipv4Range r{addr & mask_of(prefix), prefix, ""};
  r.text = fmt::format("{}/{}", ipv4_to_string(r.base), prefix);
  return r;
}

std::vector<Ipv4Range> parse_networks_conf(const std::string& text) {
  std::vector<Ipv4Range> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    if (!(words >> first) || first[0] == '#' || first != "*") continue;
    for (std::string w; words >> w;)
      if (w.find(':') == std::string::npos)
        if (auto r = parse_cidr(w)) out.push_back(*r);
  }
  return out;
}

std::vector<Ipv4Range> allowed_ranges() {
  std::ifstream f(settings::text("VMLAB_VBOX_NETWORKS_CONF"));
  std::vector<Ipv4Range> out;
  if (f) {
    std::stringstream ss;
    ss << f.rdbuf();
    out = parse_networks_conf(ss.str());
  }
  if (out.empty()) out.push_back(*parse_cidr("192.168.56.0/21"));
  return out;
}

std::optional<std::string> check_network_ranges(const config::Topology& topo,
                                                const std::vector<Ipv4Range>& allowed) {
  for (const auto& net : topo.networks) {
    if (net.internal) continue;
    bool ok = false;
    for (const auto& r : allowed) ok = ok || r.contains(net.base, net.prefix);
    if (ok) continue;
    std::string list;
    for (const auto& r : allowed) list += (list.empty() ? "" : ", ") + r.text;
    return fmt::format(
        "network \"{}\" ({}) is outside the host-only ranges VirtualBox allows ({}); use a "
        "range inside them, or allow it with a line \"* {}\" in /etc/vbox/networks.conf",
        net.name, net.cidr, list, net.cidr);
  }
  return std::nullopt;
}

std::string ipv4_to_string(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

std::string netmask_of(int prefix) {
  return ipv4_to_string(mask_of(prefix));
}

}  // namespace vmlab::vbox
