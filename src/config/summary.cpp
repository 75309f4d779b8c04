// The human form of `vmlab config`.
#include <fmt/format.h>

#include "config/load.hpp"
#include "config/size.hpp"
#include "config/text.hpp"

namespace vmlab::config {

std::string summary(const Topology& t) {
  std::string out = fmt::format("lab {} (provider {}, /etc/hosts {})\n", t.name, t.provider,
                                t.hosts ? "on" : "off");
  for (const Network& n : t.networks)
    out += fmt::format("network {} {} (gateway {})\n", n.name, n.cidr, n.gateway);
  for (const Node& n : t.nodes) {
    out += fmt::format("node {}: box {}, {} cpu{}, memory {}, disk {}\n", n.name, n.box, n.cpus,
                       n.cpus == 1 ? "" : "s", format_size(n.memory_mib), format_size(n.disk_mib));
    for (const Address& a : n.addresses)
      out += fmt::format("  address {}/{} on {}\n", a.ip, a.prefix, a.network);
    for (const Forward& f : n.forwards)
      out +=
          fmt::format("  forward host {}{} -> guest {} ({})\n",
                      f.host_ip == "127.0.0.1" ? "" : f.host_ip + ":", f.host, f.guest, f.protocol);
    for (std::size_t i = 0; i < n.provision.size(); ++i) {
      const ProvisionStep& s = n.provision[i];
      std::string line = fmt::format("  {}. {} ({})", i + 1, s.name, s.type);
      if (s.run == RunPolicy::Always) line += ", run always";
      if (!s.after.empty()) line += ", after " + join(s.after);
      out += line + "\n";
    }
  }
  return out;
}

}  // namespace vmlab::config
