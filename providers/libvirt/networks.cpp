#include "providers/libvirt/networks.hpp"

#include <fmt/format.h>

#include <mutex>
#include <set>

#include "core/log.hpp"
#include "providers/libvirt/network_xml.hpp"
#include "seed/seed.hpp"

namespace vmlab::providers::libvirt::networks {
namespace {

std::mutex g_mu;  // network definitions and DHCP host updates, within the process

template <typename T>
T take(Result<T> r) {
  if (!r.ok()) throw ProviderError(r.error());
  return std::move(r.value());
}

void start_if_inactive(virNetworkPtr n) {
  if (!take(virt::network_active(n))) take(virt::start_network(n));
}

void ensure_network(virConnectPtr c, const std::string& name, const std::string& xml) {
  auto net = take(virt::find_network(c, name));
  if (!net) {
    log::info("libvirt", "defining network {}", name);
    net = take(virt::define_network(c, xml));
  }
  start_if_inactive(net.get());
}

// Every IPv4 range used by libvirt networks (all of them, or all but this lab's).
std::vector<std::pair<std::string, Cidr>> used_ranges(virConnectPtr c,
                                                      const std::string& skip_prefix) {
  std::vector<std::pair<std::string, Cidr>> out;
  for (auto& n : take(virt::list_networks(c))) {
    std::string name = virt::network_name(n.get());
    if (!skip_prefix.empty() && name.rfind(skip_prefix, 0) == 0) continue;
    for (const auto& r : network_ranges(take(virt::network_xml(n.get())))) out.push_back({name, r});
  }
  return out;
}

}  // namespace

std::string prefix(const std::string& lab_id) {
  return "vmlab-" + lab_id + "-";
}
std::string mgmt_name(const std::string& lab_id) {
  return prefix(lab_id) + "mgmt";
}
std::string lab_name(const std::string& lab_id, const std::string& network) {
  return prefix(lab_id) + network;
}

void check_ranges(virConnectPtr c, const config::Topology& topo, const std::string& lab_id) {
  for (const auto& net : topo.networks)
    if (net.name == "mgmt")
      throw UsageError(
          "network \"mgmt\": the name is reserved by the libvirt provider for the management "
          "network; rename it");
  auto used = used_ranges(c, prefix(lab_id));
  for (const auto& net : topo.networks) {
    Cidr mine{net.base, net.prefix};
    for (const auto& [other, range] : used)
      if (overlaps(mine, range))
        throw UsageError(fmt::format(
            "network \"{}\" ({}) overlaps libvirt network \"{}\" ({}); choose another cidr",
            net.name, net.cidr, other, to_string(range)));
  }
}

void ensure(virConnectPtr c, const config::Topology& topo, const std::string& lab_id) {
  std::lock_guard lock(g_mu);
  std::string mgmt = mgmt_name(lab_id);
  if (!take(virt::find_network(c, mgmt))) {
    std::vector<Cidr> used;
    for (const auto& [name, range] : used_ranges(c, "")) used.push_back(range);
    for (const auto& net : topo.networks) used.push_back({net.base, net.prefix});
    auto subnet = choose_mgmt_subnet(lab_id, used);
    if (!subnet)
      throw ProviderError("no free /24 left in 10.251.0.0-10.254.255.0 for the management network");
    std::vector<DhcpHost> hosts;
    for (size_t i = 0; i < topo.nodes.size(); ++i)
      if (auto ip = mgmt_host_ip(*subnet, static_cast<int>(i)))
        hosts.push_back({seed::mac_for(lab_id, topo.nodes[i].name, 0), *ip, topo.nodes[i].name});
    ensure_network(c, mgmt, mgmt_network_xml(mgmt, *subnet, hosts));
  } else {
    ensure_network(c, mgmt, "");
  }
  for (const auto& net : topo.networks) {
    std::string name = lab_name(lab_id, net.name);
    ensure_network(c, name, isolated_network_xml(name, net));
  }
}

std::string ensure_mgmt_host(virConnectPtr c, const std::string& lab_id, const std::string& node,
                             const std::string& mac) {
  std::lock_guard lock(g_mu);
  std::string name = mgmt_name(lab_id);
  auto net = take(virt::find_network(c, name));
  if (!net)
    throw ProviderError(fmt::format("network {} does not exist (prepare_lab not run?)", name));
  std::string doc = take(virt::network_xml(net.get()));
  std::set<std::string> taken;
  for (const auto& h : dhcp_hosts(doc)) {
    if (h.mac == mac) return h.ip;
    taken.insert(h.ip);
  }
  auto ranges = network_ranges(doc);
  if (ranges.empty()) throw ProviderError(fmt::format("network {} has no IPv4 range", name));
  for (int i = 0;; ++i) {
    auto ip = mgmt_host_ip(ranges.front(), i);
    if (!ip) throw ProviderError(fmt::format("network {} has no free address left", name));
    if (taken.count(*ip)) continue;
    take(virt::add_dhcp_host(net.get(), dhcp_host_xml({mac, *ip, node})));
    return *ip;
  }
}

void remove_all(virConnectPtr c, const std::string& lab_id) {
  std::lock_guard lock(g_mu);
  std::string p = prefix(lab_id);
  for (auto& n : take(virt::list_networks(c))) {
    std::string name = virt::network_name(n.get());
    if (name.rfind(p, 0) != 0) continue;
    log::info("libvirt", "removing network {}", name);
    if (take(virt::network_active(n.get()))) take(virt::stop_network(n.get()));
    if (take(virt::network_persistent(n.get()))) take(virt::undefine_network(n.get()));
  }
}

}  // namespace vmlab::providers::libvirt::networks
