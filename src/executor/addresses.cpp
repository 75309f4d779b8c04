#include "executor/addresses.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace vmlab::executor {

const char* const kListAddressesCommand =
    "ip -j addr show 2>/dev/null || { ip -o link show; ip -o addr show; }";

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string strip_parent(std::string name) {  // "eth0.10@eth0" -> "eth0.10"
  if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
  return name;
}

std::optional<std::vector<GuestNic>> parse_json(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) return std::nullopt;
  std::vector<GuestNic> out;
  for (const auto& j : doc) {
    if (!j.is_object() || !j.contains("ifname") || !j["ifname"].is_string()) continue;
    GuestNic n;
    n.name = strip_parent(j["ifname"].get<std::string>());
    if (j.contains("address") && j["address"].is_string())
      n.mac = lower(j["address"].get<std::string>());
    if (j.contains("addr_info") && j["addr_info"].is_array())
      for (const auto& a : j["addr_info"]) {
        if (!a.is_object() || a.value("family", "") != "inet") continue;
        if (!a.contains("local") || !a["local"].is_string()) continue;
        n.ipv4.push_back(
            fmt::format("{}/{}", a["local"].get<std::string>(), a.value("prefixlen", 32)));
      }
    out.push_back(std::move(n));
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// "4: eth0: <BROADCAST,...> mtu 1500 ...\    link/ether 52:54:00:aa:bb:cc brd ..."
// "4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\       valid_lft ..."
std::optional<std::vector<GuestNic>> parse_oneline(std::string_view text) {
  std::map<long, GuestNic> by_index;
  std::vector<long> order;
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string idx, name;
    if (!(words >> idx >> name) || idx.size() < 2 || idx.back() != ':') continue;
    char* end = nullptr;
    const long index = std::strtol(idx.c_str(), &end, 10);
    if (end != idx.c_str() + idx.size() - 1) continue;
    const bool link_line = name.back() == ':';
    if (link_line) name.pop_back();
    auto [it, fresh] = by_index.try_emplace(index);
    if (fresh) order.push_back(index);
    GuestNic& nic = it->second;
    nic.name = strip_parent(name);
    for (std::string w; words >> w;) {
      if (link_line && w.rfind("link/", 0) == 0) {
        std::string mac;
        if (words >> mac && mac.find(':') != std::string::npos) nic.mac = lower(mac);
        break;
      }
      if (!link_line && w == "inet") {
        std::string addr;
        if (words >> addr)
          nic.ipv4.push_back(addr.find('/') == std::string::npos ? addr + "/32" : addr);
        break;
      }
    }
  }
  if (order.empty()) return std::nullopt;
  std::vector<GuestNic> out;
  for (long i : order) out.push_back(std::move(by_index[i]));
  return out;
}

}  // namespace

std::optional<std::vector<GuestNic>> parse_ip_addresses(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::nullopt;
  if (text[first] == '[') return parse_json(text.substr(first));
  return parse_oneline(text);
}

std::vector<MissingAddress> missing_addresses(const std::vector<seed::Nic>& expected,
                                              const std::vector<GuestNic>& guest) {
  std::vector<MissingAddress> out;
  for (const auto& want : expected) {
    if (want.address.empty()) continue;  // DHCP (the management NIC): SSH answered on it
    auto nic = std::find_if(guest.begin(), guest.end(),
                            [&](const GuestNic& g) { return g.mac == lower(want.mac); });
    if (nic == guest.end()) {
      out.push_back({want, std::nullopt});
      continue;
    }
    if (std::find(nic->ipv4.begin(), nic->ipv4.end(), want.address) == nic->ipv4.end())
      out.push_back({want, *nic});
  }
  return out;
}

std::string missing_address_cause(const std::optional<boxes::Box>& box) {
  if (box && box->seed == "cloud-init")
    return "the box's cloud-init did not apply the network config: it ignores the seed's "
           "network-config when its own configuration says `network: {config: disabled}` "
           "(look in /etc/cloud/cloud.cfg and /etc/cloud/cloud.cfg.d/ of the box)";
  if (box && box->seed == "vmlab-init")
    return "the box's init did not apply vmlab/interfaces of the seed (see boxes/README.md)";
  return "the guest did not apply the network config of its seed";
}

std::string describe_missing(const std::vector<MissingAddress>& missing, std::string_view cause,
                             double waited_s) {
  std::string out = fmt::format("lab address{} missing after boot (waited {:.1f}s):",
                                missing.size() == 1 ? "" : "es", waited_s);
  for (const auto& m : missing) {
    const auto& e = m.expected;
    if (!m.found) {
      out += fmt::format(
          "\n    NIC {} (network {}): expected {}, but the guest has no interface "
          "with that MAC",
          e.mac, e.network, e.address);
      continue;
    }
    std::string has = "no IPv4 address";
    if (!m.found->ipv4.empty()) {
      has.clear();
      for (const auto& a : m.found->ipv4) has += (has.empty() ? "" : ", ") + a;
    }
    out += fmt::format("\n    NIC {} ({}, network {}): expected {}, has {}", m.found->name, e.mac,
                       e.network, e.address, has);
  }
  out += fmt::format("\n    likely cause: {}", cause);
  return out;
}

}  // namespace vmlab::executor
