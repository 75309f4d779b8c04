// Stage 2a: Raw -> Topology. Applies [defaults] and built-in defaults, parses sizes and
// addresses, and unrolls groups (`count`): member i gets "{i}" -> i in its name, ip + (i-1)
// and host ports + (i-1).
#include <fmt/format.h>

#include <algorithm>

#include "boxes/box.hpp"
#include "boxes/fetch.hpp"
#include "config/ip.hpp"
#include "config/size.hpp"
#include "config/stages.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace {

constexpr std::uint64_t kDefaultMemoryMib = 1024;
constexpr std::uint64_t kDefaultDiskMib = 10 * 1024;
const std::vector<std::string> kProviders = {"libvirt", "virtualbox"};
constexpr std::int64_t kMaxCount = 1000;  // nodes per group

std::string missing(std::string_view key) {
  return fmt::format("missing required key \"{}\"", key);
}

std::uint64_t size_or(const Val<std::string>& v, const std::string& key, std::uint64_t fallback,
                      Diagnostics& diag) {
  if (!v.has()) return fallback;
  const SizeResult s = parse_size(*v);
  if (s.ok()) return s.mib;
  diag.add(v.pos, key, s.error);
  return fallback;
}

int cpus_or(const Val<std::int64_t>& v, const std::string& key, int fallback, Diagnostics& diag) {
  if (!v.has()) return fallback;
  if (*v >= 1 && *v <= 1024) return static_cast<int>(*v);
  diag.add(v.pos, key, fmt::format("cpus must be between 1 and 1024, got {}", *v));
  return fallback;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

struct NodeDefaults {
  std::string box;
  int cpus = 1;
  std::uint64_t memory = kDefaultMemoryMib, disk = kDefaultDiskMib;
  std::vector<SyncEntry> syncs;
};

void resolve_networks(const Raw& raw, Resolved& r, Diagnostics& diag) {
  for (const RawNetwork& rn : raw.networks) {
    if (!rn.name.has() && !diag.tainted(rn.key + ".name"))
      diag.add(rn.pos, rn.key, missing("name"));
    if (!rn.cidr.has() && !diag.tainted(rn.key + ".cidr"))
      diag.add(rn.pos, rn.key, missing("cidr"));
    if (!rn.cidr.has()) {
      r.all_networks_valid = false;
      continue;
    }
    const CidrResult c = parse_cidr(*rn.cidr);
    if (!c.ok()) {
      diag.add(rn.cidr.pos, rn.key + ".cidr", c.error);
      r.all_networks_valid = false;
      continue;
    }
    Network n{rn.name.value.value_or(""), c.cidr.str(), c.cidr.base, c.cidr.prefix,
              format_ipv4(c.cidr.gateway())};
    r.topo.networks.push_back(std::move(n));
    r.network_origin.push_back(&rn);
  }
}

// The network containing `ip`, or nullptr.
const Network* network_of(const Topology& t, std::uint32_t ip) {
  for (const Network& n : t.networks)
    if (Cidr{n.base, n.prefix}.contains(ip)) return &n;
  return nullptr;
}

std::string networks_list(const Topology& t) {
  std::vector<std::string> parts;
  for (const Network& n : t.networks) parts.push_back(fmt::format("{} {}", n.name, n.cidr));
  return parts.empty() ? "no [[network]] is defined" : join(parts);
}

void add_members(const RawNode& rn, Node proto, int count, bool group,
                 const std::vector<std::pair<const RawItem*, std::uint32_t>>& ips,
                 const std::vector<const RawForward*>& forwards, Resolved& r, Diagnostics& diag) {
  const std::string tmpl = proto.name;
  for (int i = 1; i <= count; ++i) {
    Node n = proto;
    NodeOrigin o{&rn, {}, {}};
    n.group = tmpl;
    n.index = group ? i : 0;
    n.name = group ? replace_all(tmpl, "{i}", std::to_string(i)) : tmpl;
    for (const auto& [item, base_ip] : ips) {
      const std::uint32_t ip = base_ip + static_cast<std::uint32_t>(i - 1);
      const Network* net = network_of(r.topo, ip);
      const Network* first = network_of(r.topo, base_ip);
      if (!net || net != first) {
        if (i == 1 && r.all_networks_valid)
          diag.add(
              item->pos, item->key,
              fmt::format("{} is not inside any network ({})", item->value, networks_list(r.topo)));
        else if (first)
          diag.add(item->pos, item->key,
                   fmt::format("group member \"{}\" would get {}, outside network \"{}\" {}",
                               n.name, format_ipv4(ip), first->name, first->cidr));
        continue;
      }
      const auto same = std::find_if(n.addresses.begin(), n.addresses.end(),
                                     [&](const Address& a) { return a.network == net->name; });
      if (same != n.addresses.end()) {
        if (i == 1)
          diag.add(item->pos, item->key,
                   fmt::format("{} is on network \"{}\" like {}; give one address per network",
                               item->value, net->name, same->ip));
        continue;
      }
      n.addresses.push_back({net->name, format_ipv4(ip), net->prefix});
      o.ip.push_back(item);
    }
    for (std::size_t f = 0; f < forwards.size(); ++f) {
      n.forwards[f].host += i - 1;
      o.forward.push_back(forwards[f]);
    }
    r.topo.nodes.push_back(std::move(n));
    r.origin.push_back(std::move(o));
  }
}

// A box table: its keys checked, then one entry per box name in topo.box_sources (the same
// name given twice must say the same).
void resolve_box_source(const Val<std::string>& name, const std::optional<RawBoxSource>& src,
                        Resolved& r, Diagnostics& diag) {
  if (!src) return;
  bool ok = true;
  std::vector<const char*> absent;  // all of them: reporting one taints the table's key
  for (auto [v, key] :
       {std::pair{&name, "name"}, std::pair{&src->url, "url"}, std::pair{&src->sha256, "sha256"}})
    if (!v->has()) {
      if (!diag.tainted(src->key + "." + key)) absent.push_back(key);
      ok = false;
    }
  for (const char* key : absent) diag.add(src->pos, src->key, missing(key));
  if (src->url.has() && !boxes::is_box_url(*src->url)) {
    diag.add(
        src->url.pos, src->key + ".url",
        fmt::format("invalid URL \"{}\": expected an http://, https:// or file:// URL", *src->url));
    ok = false;
  }
  std::string digest;
  if (src->sha256.has() && (digest = boxes::normalize_sha256(*src->sha256)).empty()) {
    diag.add(src->sha256.pos, src->key + ".sha256",
             fmt::format("invalid sha256 \"{}\": {}", *src->sha256, boxes::kSha256Rule));
    ok = false;
  }
  if (!ok || !boxes::valid_box_name(*name)) return;
  if (const BoxSource* first = r.topo.find_box_source(*name)) {
    if (first->url != *src->url || first->sha256 != digest)
      diag.add(src->pos, src->key,
               fmt::format("box \"{}\" is given again with another url or sha256 (first at "
                           "line {}, column {}); one name is one image",
                           *name, first->pos.line, first->pos.col));
    return;
  }
  r.topo.box_sources.push_back({*name, *src->url, digest, src->pos});
}

void resolve_node(const RawNode& rn, const NodeDefaults& d, const StepTypes& types, Resolved& r,
                  Diagnostics& diag) {
  const std::filesystem::path& project = r.topo.project_dir;
  Node proto;
  proto.pos = rn.pos;
  proto.box = rn.box.value.value_or(d.box);
  if (rn.box.has() && !diag.tainted(rn.key + ".box") && !boxes::valid_box_name(*rn.box))
    diag.add(rn.box.pos, rn.key + ".box",
             fmt::format("invalid box name \"{}\": {}", *rn.box, boxes::kBoxNameRule));
  if (proto.box.empty() && !rn.box_source && !diag.tainted(rn.key + ".box"))
    diag.add(rn.pos, rn.key, "missing required key \"box\" (set it here or in [defaults])");
  resolve_box_source(rn.box, rn.box_source, r, diag);
  proto.cpus = cpus_or(rn.cpus, rn.key + ".cpus", d.cpus, diag);
  proto.memory_mib = size_or(rn.memory, rn.key + ".memory", d.memory, diag);
  proto.disk_mib = size_or(rn.disk, rn.key + ".disk", d.disk, diag);
  int count = 1;
  if (rn.count.has() && *rn.count < 1)
    diag.add(rn.count.pos, rn.key + ".count",
             fmt::format("count must be at least 1, got {}", *rn.count));
  else if (rn.count.has() && *rn.count > kMaxCount)
    diag.add(
        rn.count.pos, rn.key + ".count",
        fmt::format("count {} is above the limit of {} nodes per group", *rn.count, kMaxCount));
  else if (rn.count.has())
    count = static_cast<int>(*rn.count);
  if (!rn.name.has()) {
    if (!diag.tainted(rn.key + ".name")) diag.add(rn.pos, rn.key, missing("name"));
    return;
  }
  proto.name = *rn.name;
  const bool group = proto.name.find("{i}") != std::string::npos;
  if (count > 1 && !group) {
    diag.add(rn.name.pos, rn.key + ".name",
             fmt::format(
                 "a group (count = {}) needs \"{{i}}\" in its name, e.g. \"{}{{i}}\"; got \"{}\"",
                 count, proto.name, proto.name));
    count = 1;
  }
  std::vector<std::pair<const RawItem*, std::uint32_t>> ips;
  for (const RawItem& item : rn.ip) {
    if (auto ip = parse_ipv4(item.value))
      ips.emplace_back(&item, *ip);
    else
      diag.add(item.pos, item.key,
               fmt::format("invalid IPv4 address \"{}\": expected four numbers 0-255 like "
                           "\"192.168.56.10\"",
                           item.value));
  }
  std::vector<const RawForward*> forwards;
  for (const RawForward& rf : rn.forward) {
    bool ok = true;
    for (auto [v, key] : {std::pair{&rf.guest, "guest"}, std::pair{&rf.host, "host"}}) {
      if (!v->has()) {
        if (!diag.tainted(rf.key + "." + key)) diag.add(rf.pos, rf.key, missing(key));
        ok = false;
      } else if (*v->value < 1 || *v->value > 65535) {
        diag.add(v->pos, rf.key + "." + key,
                 fmt::format("{} port {} is out of range 1..65535", key, *v->value));
        ok = false;
      }
    }
    const std::string proto_name = rf.protocol.value.value_or("tcp");
    if (proto_name != "tcp" && proto_name != "udp") {
      diag.add(rf.protocol.pos, rf.key + ".protocol",
               fmt::format("invalid protocol \"{}\"; allowed: tcp, udp", proto_name));
      ok = false;
    }
    const std::string host_ip = rf.host_ip.value.value_or("127.0.0.1");
    if (!parse_ipv4(host_ip)) {
      diag.add(rf.host_ip.pos, rf.key + ".host_ip",
               fmt::format("invalid host_ip \"{}\"; expected an IPv4 address such as "
                           "\"127.0.0.1\" or \"0.0.0.0\"",
                           host_ip));
      ok = false;
    }
    if (!ok) continue;
    proto.forwards.push_back(
        {static_cast<int>(*rf.guest), static_cast<int>(*rf.host), proto_name, host_ip, rf.pos});
    forwards.push_back(&rf);
  }
  for (const RawStep& rs : rn.provision)
    proto.provision.push_back(resolve_step(rs, project, types, diag));
  name_steps(rn, proto.provision, diag);
  proto.syncs = node_syncs(d.syncs, resolve_syncs(rn.sync, project, diag), diag);
  add_members(rn, std::move(proto), count, group, ips, forwards, r, diag);
}

}  // namespace

Resolved resolve(const Raw& raw, const std::filesystem::path& vmfile, const std::string& provider,
                 const StepTypes& types, Diagnostics& diag) {
  Resolved r;
  Topology& t = r.topo;
  t.vmfile = vmfile;
  t.project_dir = vmfile.parent_path();
  t.name = raw.name.value.value_or(sanitize_name(t.project_dir.filename().string()));
  if (raw.name.has() && !valid_hostname(*raw.name))
    diag.add(raw.name.pos, "name",
             fmt::format("invalid lab name \"{}\": {}", *raw.name, kHostnameRule));
  t.provider = !provider.empty() ? provider : raw.provider.value.value_or("libvirt");
  if (provider.empty() && raw.provider.has() &&
      std::find(kProviders.begin(), kProviders.end(), *raw.provider) == kProviders.end())
    diag.add(raw.provider.pos, "provider",
             fmt::format("unknown provider \"{}\"; allowed: {}", *raw.provider, join(kProviders)));
  t.hosts = raw.hosts.value.value_or(true);
  t.vars = raw.vars;
  t.libvirt.uri = raw.libvirt_uri.value.value_or("");
  resolve_networks(raw, r, diag);

  NodeDefaults d;
  d.box = raw.defaults.box.value.value_or("");
  if (raw.defaults.box.has() && !diag.tainted("defaults.box") && !boxes::valid_box_name(d.box))
    diag.add(raw.defaults.box.pos, "defaults.box",
             fmt::format("invalid box name \"{}\": {}", d.box, boxes::kBoxNameRule));
  resolve_box_source(raw.defaults.box, raw.defaults.box_source, r, diag);
  d.cpus = cpus_or(raw.defaults.cpus, "defaults.cpus", 1, diag);
  d.memory = size_or(raw.defaults.memory, "defaults.memory", kDefaultMemoryMib, diag);
  d.disk = size_or(raw.defaults.disk, "defaults.disk", kDefaultDiskMib, diag);
  d.syncs = resolve_syncs(raw.defaults.sync, t.project_dir, diag);
  for (const RawNode& rn : raw.nodes) resolve_node(rn, d, types, r, diag);
  derive_steps(r, types, diag);
  return r;
}

const std::vector<std::string>& known_providers() {
  return kProviders;
}

}  // namespace vmlab::config
