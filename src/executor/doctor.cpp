#include "executor/doctor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "boxes/box.hpp"
#include "config/ip.hpp"
#include "core/error.hpp"
#include "core/host_probe.hpp"
#include "seed/seed.hpp"
#include "state/filenames.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
using providers::CheckLevel;
using providers::HostCheck;
using providers::MachineState;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

HostCheck box_store() {
  const fs::path store = filenames::data_dir() / filenames::kBoxesDir;
  std::error_code ec;
  if (!fs::exists(store, ec))
    return {"box-store", CheckLevel::Ok,
            fmt::format("{} does not exist yet (vmlab box add makes it)", store.string()), ""};
  if (auto why = host::unreadable_by(store, host::current_user()); !why.empty())
    return {"box-store", CheckLevel::Fail,
            fmt::format("the box store {} is not readable: {}", store.string(), why),
            fmt::format("chmod u+rx {}, or set VMLAB_HOME to a store you own", store.string())};
  return {"box-store", CheckLevel::Ok, fmt::format("{} readable", store.string()), ""};
}

std::vector<HostCheck> tools() {
  std::vector<HostCheck> out;
  if (auto p = host::find_program("ssh-keygen"); !p.empty())
    out.push_back({"ssh-keygen", CheckLevel::Ok, p, ""});
  else
    out.push_back({"ssh-keygen", CheckLevel::Fail,
                   "ssh-keygen not found (it makes the lab's key pair and host keys)",
                   "apt-get install openssh-client"});
  if (auto p = host::find_program("ssh"); !p.empty())
    out.push_back({"ssh", CheckLevel::Ok, p, ""});
  else
    out.push_back({"ssh", CheckLevel::Warn,
                   "ssh not found: vmssh and the generated ssh-config need it",
                   "apt-get install openssh-client"});
  out.push_back({"iso", CheckLevel::Ok,
                 seed::iso_library() + " linked: seeds are written without xorriso", ""});
  return out;
}

HostCheck boxes_present(const config::Topology& topo) {
  std::vector<std::string> missing, fetched;  // fetched: `vmup` downloads them (box tables)
  for (const auto& n : topo.nodes)
    if (std::find(missing.begin(), missing.end(), n.box) == missing.end() &&
        std::find(fetched.begin(), fetched.end(), n.box) == fetched.end() &&
        !boxes::find_box(n.box))
      (topo.find_box_source(n.box) ? fetched : missing).push_back(n.box);
  if (missing.empty() && !fetched.empty()) {
    std::string list;
    for (const auto& b : fetched) list += (list.empty() ? "" : ", ") + b;
    return {"boxes", CheckLevel::Ok, "vmup downloads what is not installed yet: " + list, ""};
  }
  if (missing.empty()) return {"boxes", CheckLevel::Ok, "every node's box is installed", ""};
  std::string list;
  for (const auto& b : missing) list += (list.empty() ? "" : ", ") + b;
  return {"boxes", CheckLevel::Fail, "not installed: " + list,
          fmt::format("vmlab box add {} PATH", missing.front())};
}

HostCheck routes(const config::Topology& topo, const providers::HostReport& report,
                 const DoctorOptions& opts) {
  const std::string table = opts.route_table.empty() ? report.route_table : opts.route_table;
  if (topo.networks.empty()) return {"routes", CheckLevel::Ok, "the lab has no network", ""};
  if (table.empty())
    return {"routes", CheckLevel::Ok,
            "the lab networks live on the provider's host: its routes are not checked here", ""};
  auto text = host::read_text(table);
  if (!text)
    return {"routes", CheckLevel::Warn, fmt::format("cannot read the route table {}", table),
            "run vmlab doctor as a user that can read it"};
  std::vector<std::string> hits;
  for (const auto& r : host::parse_route_table(*text)) {
    if (r.prefix == 0) continue;  // a default route: the lab's more specific route wins
    if (std::find(report.own_interfaces.begin(), report.own_interfaces.end(), r.iface) !=
        report.own_interfaces.end())
      continue;  // this lab's own network, already up
    const config::Cidr route{r.dest, r.prefix};
    for (const auto& net : topo.networks)
      if (route.overlaps(config::Cidr{net.base, net.prefix}))
        hits.push_back(fmt::format("network \"{}\" ({}) overlaps the route {} dev {}", net.name,
                                   net.cidr, route.str(), r.iface));
  }
  if (hits.empty())
    return {"routes", CheckLevel::Ok,
            fmt::format("{} lab network(s) overlap no route of {}", topo.networks.size(), table),
            ""};
  std::string detail = hits.front();
  if (hits.size() > 1) detail += fmt::format(" (and {} more)", hits.size() - 1);
  return {"routes", CheckLevel::Fail, detail,
          "choose a cidr no host route covers (see `ip route`), or remove that route"};
}

// Forwarded host ports must be free on 127.0.0.1, except those this lab's running machines
// hold already.
std::vector<HostCheck> ports(const config::Topology& topo, const providers::Capabilities& caps,
                             const std::map<std::string, MachineState>& live) {
  std::vector<HostCheck> out;
  for (const auto& n : topo.nodes)
    for (const auto& f : n.forwards) {
      const std::string name = fmt::format("port {}/{}", f.host, f.protocol);
      if (!caps.port_forwards) {
        out.push_back(
            {name, CheckLevel::Warn,
             fmt::format("node {}: this provider does not forward ports (ignored)", n.name),
             "reach the node at its lab address instead, or use the virtualbox provider"});
        continue;
      }
      auto it = live.find(n.name);
      if (it != live.end() && it->second == MachineState::Running) {
        out.push_back({name, CheckLevel::Ok,
                       fmt::format("127.0.0.1:{} is node {}'s own (running)", f.host, n.name), ""});
        continue;
      }
      std::string why;
      if (host::port_free(f.host, f.protocol, &why))
        out.push_back(
            {name, CheckLevel::Ok,
             fmt::format("127.0.0.1:{} is free (node {}, guest {})", f.host, n.name, f.guest), ""});
      else
        out.push_back({name, CheckLevel::Fail,
                       fmt::format("127.0.0.1:{} ({}, node {} forwards it to {}) is taken: {}",
                                   f.host, f.protocol, n.name, f.guest, why),
                       fmt::format("stop what listens there (ss -ltnp 'sport = :{}'), or change "
                                   "`host` of that forward in the Vmfile",
                                   f.host)});
    }
  return out;
}

HostCheck memory(const config::Topology& topo, const providers::HostReport& report,
                 const std::map<std::string, MachineState>& live, const DoctorOptions& opts) {
  if (!report.local)
    return {"memory", CheckLevel::Ok, "the machines run on the provider's host: not checked", ""};
  std::uint64_t need = 0;
  for (const auto& n : topo.nodes) {
    auto it = live.find(n.name);
    if (it == live.end() || it->second != MachineState::Running) need += n.memory_mib;
  }
  auto text = host::read_text(opts.meminfo);
  auto mem = text ? host::parse_meminfo(*text) : std::nullopt;
  if (!mem)
    return {"memory", CheckLevel::Warn,
            fmt::format("cannot read MemAvailable from {}", opts.meminfo), ""};
  const std::string detail = fmt::format("{} MiB for the machines not running, {} MiB available",
                                         need, mem->available_mib);
  if (need <= mem->available_mib) return {"memory", CheckLevel::Ok, detail, ""};
  if (need <= mem->available_mib + mem->swap_free_mib)
    return {"memory", CheckLevel::Warn, detail + fmt::format(" (+{} MiB swap)", mem->swap_free_mib),
            "lower `memory` in the Vmfile, or close something: the guests will swap"};
  return {"memory", CheckLevel::Fail, detail,
          "lower `memory` (or `count`) in the Vmfile, or free memory on this host"};
}

HostCheck disk(const config::Topology& topo, const providers::HostReport& report,
               const std::map<std::string, MachineState>& live) {
  if (report.storage_dir.empty())
    return {"disk", CheckLevel::Ok, "the disks live on the provider's host: not checked", ""};
  std::uint64_t need_mib = 0;
  for (const auto& n : topo.nodes)
    if (!live.count(n.name)) need_mib += n.disk_mib;
  auto free = host::free_bytes(report.storage_dir);
  if (!free)
    return {"disk", CheckLevel::Warn,
            fmt::format("cannot tell the free space of {}", report.storage_dir), ""};
  const std::uint64_t free_mib = *free / kMiB;
  const std::string detail = fmt::format("{}: {} MiB free, the new disks may grow to {} MiB",
                                         report.storage_dir, free_mib, need_mib);
  if (free_mib >= need_mib) return {"disk", CheckLevel::Ok, detail, ""};
  // Overlays are copy-on-write: they start near 0 and only grow to their size.
  if (free_mib >= 1024)
    return {"disk", CheckLevel::Warn, detail + " (copy-on-write: fine until the guests fill them)",
            "free space there, or lower `disk` in the Vmfile"};
  return {"disk", CheckLevel::Fail, detail, "free space on " + report.storage_dir};
}

}  // namespace

std::vector<HostCheck> doctor(providers::Provider& provider, const config::Topology* topo,
                              const std::string& lab_id, const DoctorOptions& opts) {
  providers::HostReport report = provider.diagnose(topo, lab_id);
  std::vector<HostCheck> out = report.checks;
  out.push_back(box_store());
  for (auto& t : tools()) out.push_back(std::move(t));
  if (!topo) return out;
  const bool reachable = std::none_of(
      report.checks.begin(), report.checks.end(),
      [](const HostCheck& c) { return c.name == "provider" && c.level == CheckLevel::Fail; });
  std::map<std::string, MachineState> live;
  if (reachable) try {
      for (const auto& m : provider.list(lab_id)) live[m.name] = m.state;
    } catch (const Error&) {
      // the provider check above already says what is wrong
    }
  out.push_back(boxes_present(*topo));
  out.push_back(routes(*topo, report, opts));
  for (auto& p : ports(*topo, provider.capabilities(), live)) out.push_back(std::move(p));
  out.push_back(memory(*topo, report, live, opts));
  out.push_back(disk(*topo, report, live));
  return out;
}

bool doctor_passed(const std::vector<HostCheck>& checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const HostCheck& c) { return c.level == CheckLevel::Fail; });
}

}  // namespace vmlab::executor
