// Stage 3: rules across the whole resolved lab: unique valid names, addresses that are usable
// and unique, distinct host ports, `after` edges that name real nodes/steps and form no cycle.
// Only values that resolved are checked (tainted key paths are skipped).
#include <fmt/format.h>

#include <map>

#include "config/ip.hpp"
#include "config/stages.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace {

void check_networks(const Resolved& r, Diagnostics& diag) {
  const auto& nets = r.topo.networks;
  for (std::size_t i = 0; i < nets.size(); ++i) {
    const RawNetwork& rn = *r.network_origin[i];
    if (rn.name.has() && !valid_hostname(nets[i].name))
      diag.add(rn.name.pos, rn.key + ".name",
               fmt::format("invalid network name \"{}\": {}", nets[i].name, kHostnameRule));
    for (std::size_t j = 0; j < i; ++j) {
      const RawNetwork& prev = *r.network_origin[j];
      if (rn.name.has() && prev.name.has() && nets[i].name == nets[j].name)
        diag.add(rn.name.pos, rn.key + ".name",
                 fmt::format("duplicate network name \"{}\" (also {})", nets[i].name, prev.key));
      if (Cidr{nets[i].base, nets[i].prefix}.overlaps(Cidr{nets[j].base, nets[j].prefix}))
        diag.add(rn.cidr.pos, rn.key + ".cidr",
                 fmt::format("network {} overlaps {} {} ({})", nets[i].cidr, nets[j].name,
                             nets[j].cidr, prev.key));
    }
  }
}

void check_names(const Resolved& r, Diagnostics& diag) {
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < r.topo.nodes.size(); ++i) {
    const Node& n = r.topo.nodes[i];
    const RawNode& rn = *r.origin[i].raw;
    const std::string key = rn.key + ".name";
    if (diag.tainted(key)) continue;
    if (!valid_hostname(n.name)) {
      diag.add(rn.name.pos, key, fmt::format("invalid hostname \"{}\": {}", n.name, kHostnameRule));
      continue;
    }
    auto [it, fresh] = first.emplace(n.name, i);
    if (!fresh)
      diag.add(rn.name.pos, key,
               fmt::format("duplicate node name \"{}\" (also {})", n.name,
                           r.origin[it->second].raw->key));
  }
}

void check_addresses(const Resolved& r, Diagnostics& diag) {
  std::map<std::string, std::string> used;  // ip -> node name
  for (std::size_t i = 0; i < r.topo.nodes.size(); ++i) {
    const Node& n = r.topo.nodes[i];
    for (std::size_t a = 0; a < n.addresses.size(); ++a) {
      const Address& addr = n.addresses[a];
      const RawItem& item = *r.origin[i].ip[a];
      const Network* net = nullptr;
      for (const Network& cand : r.topo.networks)
        if (cand.name == addr.network) net = &cand;
      const Cidr c{net->base, net->prefix};
      const std::uint32_t ip = *parse_ipv4(addr.ip);
      const char* what = ip == c.base          ? "the network address"
                         : ip == c.broadcast() ? "the broadcast address"
                         : ip == c.gateway()   ? "the gateway (the host's side)"
                                               : nullptr;
      if (what) {
        diag.add(item.pos, item.key,
                 fmt::format("{} of \"{}\" is {} of network \"{}\" {}; nodes use {} to {}", addr.ip,
                             n.name, what, net->name, net->cidr, format_ipv4(c.gateway() + 1),
                             format_ipv4(c.broadcast() - 1)));
        continue;
      }
      auto [it, fresh] = used.emplace(addr.ip, n.name);
      if (!fresh)
        diag.add(item.pos, item.key,
                 fmt::format("{} of \"{}\" is already the address of \"{}\"", addr.ip, n.name,
                             it->second));
    }
  }
}

void check_forwards(const Resolved& r, Diagnostics& diag) {
  std::map<std::string, std::string> used;  // "port/proto" -> node name
  for (std::size_t i = 0; i < r.topo.nodes.size(); ++i) {
    const Node& n = r.topo.nodes[i];
    for (std::size_t f = 0; f < n.forwards.size(); ++f) {
      const Forward& fw = n.forwards[f];
      const RawForward& rf = *r.origin[i].forward[f];
      if (fw.host > 65535) {
        diag.add(rf.host.pos, rf.key + ".host",
                 fmt::format("host port {} of \"{}\" is out of range 1..65535", fw.host, n.name));
        continue;
      }
      const std::string port = fmt::format("{}/{}", fw.host, fw.protocol);
      auto [it, fresh] = used.emplace(port, n.name);
      if (!fresh)
        diag.add(rf.host.pos, rf.key + ".host",
                 fmt::format("host port {} of \"{}\" is already forwarded to \"{}\"", port, n.name,
                             it->second));
    }
  }
}

}  // namespace

void validate(const Raw& /*raw*/, const Resolved& r, Diagnostics& diag) {
  check_networks(r, diag);
  check_names(r, diag);
  check_addresses(r, diag);
  check_forwards(r, diag);
  check_order(r, diag);
}

}  // namespace vmlab::config
