// `vmlab ls` and `vmlab doctor` for libvirt: the labs in the connection's records, and the
// host checks (reachability and namespace, acceleration, the pool the qemu user must reach,
// qemu-img, the lab networks against the other libvirt networks).
#include "providers/libvirt/host_checks.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "core/host_probe.hpp"
#include "core/settings.hpp"
#include "providers/libvirt/accel.hpp"
#include "providers/libvirt/domain_xml.hpp"
#include "providers/libvirt/networks.hpp"
#include "providers/libvirt/storage.hpp"
#include "providers/libvirt/xml.hpp"

namespace vmlab::providers::libvirt {
namespace fs = std::filesystem;
using L = CheckLevel;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw ProviderError(r.error());
  return std::move(r.value());
}

bool local_qemu(const std::string& uri) {
  return uri.rfind("qemu:///", 0) == 0 || uri.rfind("qemu+unix:///", 0) == 0;
}
bool system_uri(const std::string& uri) {
  return local_qemu(uri) && uri.find("/system") != std::string::npos;
}

// "dev:inode" of a namespace link, "" when it cannot be read (another user's process).
std::string ns_id(const fs::path& link) {
  struct stat st {};
  if (::stat(link.c_str(), &st) != 0) return "";
  return fmt::format("{}:{}", st.st_dev, st.st_ino);
}

// The pid of the local system daemon that serves qemu:///system, 0 if none runs.
pid_t system_daemon(std::string* name) {
  for (const char* d : {"libvirtd", "virtqemud"}) {
    auto pid = host::read_text(fmt::format("/run/{}.pid", d));
    if (!pid) continue;
    pid_t p = static_cast<pid_t>(std::strtol(pid->c_str(), nullptr, 10));
    auto comm = host::read_text(fmt::format("/proc/{}/comm", p));
    if (p > 0 && comm && comm->rfind(d, 0) == 0) {
      *name = d;
      return p;
    }
  }
  return 0;
}

HostCheck connection_check(const std::string& uri, virConnectPtr c, const std::string& error,
                           std::string* route_table) {
  if (!c)
    return {"provider", L::Fail, fmt::format("libvirt at {} does not answer: {}", uri, error),
            "start libvirtd (in a network namespace: scripts/libvirtd-netns.sh start NS), or set "
            "VMLAB_LIBVIRT_URI to one that runs"};
  std::string where = daemon_namespace(uri, route_table);
  std::string self_ns = ns_id("/proc/self/ns/net");
  HostCheck h{"provider", L::Ok, fmt::format("libvirt at {}", uri), ""};
  if (!where.empty()) h.detail += ", daemon in " + where;
  // Machines are reached at addresses of the daemon's namespace: vmlab must run there too.
  std::string name;
  if (pid_t pid = system_uri(uri) ? system_daemon(&name) : 0) {
    std::string daemon_ns = ns_id(fmt::format("/proc/{}/ns/net", pid));
    if (!daemon_ns.empty() && daemon_ns != self_ns) {
      h.level = L::Warn;
      h.detail +=
          "; vmlab runs in another network namespace, where the lab's addresses are "
          "not reachable";
      auto ns = where.rfind("network namespace ", 0) == 0 ? where.substr(18) : std::string("NS");
      ns = ns.substr(0, ns.find(' '));
      h.fix = fmt::format("run vmlab inside it: ip netns exec {} vmlab ...", ns);
    }
  }
  return h;
}

std::optional<HostCheck> default_uri_check(const std::string& uri) {
  auto env = settings::value("LIBVIRT_DEFAULT_URI");
  if (!env || *env == uri) return std::nullopt;
  return HostCheck{
      "libvirt-uri", L::Warn,
      fmt::format("LIBVIRT_DEFAULT_URI={} (what virsh uses) is not vmlab's URI {}", *env, uri),
      fmt::format("set VMLAB_LIBVIRT_URI={} to use it, or unset LIBVIRT_DEFAULT_URI "
                  "so that virsh and vmlab look at the same libvirt",
                  *env)};
}

HostCheck accel_check(const std::string& uri) {
  if (!local_qemu(uri)) {
    if (uri.rfind("test:", 0) == 0)
      return {"acceleration", L::Ok, "libvirt test driver: no guest runs", ""};
    return {"acceleration", L::Warn,
            fmt::format("{} is not a local QEMU: vmlab asks for TCG (software emulation)", uri),
            "set VMLAB_ACCEL=kvm when that host has a working KVM"};
  }
  if (auto forced = settings::value("VMLAB_ACCEL"))
    return {"acceleration", L::Ok, fmt::format("VMLAB_ACCEL={}: not probed", *forced), ""};
  if (probe_kvm() == Accel::Kvm)
    return {"acceleration", L::Ok, "KVM usable (/dev/kvm ran a test guest)", ""};
  if (::access("/dev/kvm", F_OK) != 0)
    return {"acceleration", L::Warn, "no /dev/kvm: TCG will be used (several times slower)",
            "enable virtualization in the firmware (or nested virtualization on the outer "
            "hypervisor) and load kvm_intel or kvm_amd"};
  if (::access("/dev/kvm", R_OK | W_OK) != 0)
    return {"acceleration", L::Warn, "/dev/kvm is not usable by this user: TCG will be used",
            "add yourself to the kvm group (usermod -aG kvm $USER, then log in again)"};
  return {"acceleration", L::Warn,
          "/dev/kvm exists but a test guest did not run (broken nested KVM): TCG will be used",
          "set VMLAB_ACCEL=tcg to skip the probe, or fix nested virtualization on the outer host"};
}

fs::path nearest_existing(fs::path p) {
  std::error_code ec;
  while (!fs::exists(p, ec) && p.has_parent_path() && p != p.parent_path()) p = p.parent_path();
  return p;
}

// The qemu user of qemu:///system must reach the pool directory (disks, seeds, box volumes).
HostCheck pool_check() {
  const fs::path pool = storage::pool_dir();
  auto qemu = host::find_user({"libvirt-qemu", "qemu"});
  if (!qemu)
    return {"pool", L::Warn,
            fmt::format("no libvirt-qemu or qemu user: cannot tell whether QEMU "
                        "reaches {}",
                        pool.string()),
            "check the `user` in /etc/libvirt/qemu.conf can read " + pool.string()};
  const fs::path at = nearest_existing(pool);
  std::string why = host::unreadable_by(at, *qemu, /*traverse_only=*/true);
  if (!why.empty())
    return {
        "pool", L::Fail,
        fmt::format("QEMU's user {} cannot reach the pool {}: {}", qemu->name, pool.string(), why),
        fmt::format("chmod o+x on each directory up to {}, or set VMLAB_LIBVIRT_POOL_DIR "
                    "under /var/lib/libvirt/images",
                    pool.string())};
  return {"pool", L::Ok,
          fmt::format("QEMU's user {} reaches {}{}", qemu->name, pool.string(),
                      at == pool ? "" : " (created at the first up)"),
          ""};
}

HostCheck qemu_img_check() {
  if (auto p = host::find_program("qemu-img"); !p.empty()) return {"qemu-img", L::Ok, p, ""};
  return {"qemu-img", L::Fail, "qemu-img not found (libvirt makes the qcow2 overlays with it)",
          "apt-get install qemu-utils"};
}

HostCheck networks_check(virConnectPtr c, const config::Topology& topo, const std::string& lab_id) {
  try {
    networks::check_ranges(c, topo, lab_id);
  } catch (const Error& e) {
    return {"lab-networks", L::Fail, e.what(),
            "choose another cidr in the Vmfile, or destroy the lab whose network it is"};
  }
  return {"lab-networks", L::Ok,
          fmt::format("{} lab network(s) overlap no other libvirt network", topo.networks.size()),
          ""};
}

// Bridges of the lab's own libvirt networks (their routes are the lab's, not a collision).
std::vector<std::string> own_bridges(virConnectPtr c, const std::string& lab_id) {
  std::vector<std::string> out;
  auto nets = virt::list_networks(c);
  if (!nets.ok()) return out;
  for (auto& n : nets.value()) {
    if (virt::network_name(n.get()).rfind(networks::prefix(lab_id), 0) != 0) continue;
    auto doc = virt::network_xml(n.get());
    if (!doc.ok()) continue;
    for (auto& b : xml::elements(doc.value(), "bridge"))
      if (!b["name"].empty()) out.push_back(b["name"]);
  }
  return out;
}

}  // namespace

MachineState to_machine_state(int s) {
  switch (s) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
    case VIR_DOMAIN_SHUTDOWN:  // being shut down: still running
      return MachineState::Running;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
      return MachineState::Paused;
    case VIR_DOMAIN_SHUTOFF:
    case VIR_DOMAIN_CRASHED:
      return MachineState::Stopped;
    default:
      return MachineState::Unknown;
  }
}

std::vector<LabListing> list_labs(virConnectPtr c) {
  std::map<std::string, LabListing> labs;
  for (auto& d : must(virt::list_domains(c))) {
    const std::string name = virt::domain_name(d.get());
    if (name.rfind("vmlab-", 0) != 0) continue;
    std::optional<DomainMeta> meta;
    if (auto m = virt::domain_metadata(d.get(), kMetadataNs); m.ok())
      meta = parse_metadata(m.value());
    if (!meta) {  // defined without vmlab's metadata: what the name gives
      auto parts = split_backend_name(name);
      if (!parts) continue;
      meta = DomainMeta{parts->first, parts->second, "", 22, ""};
    }
    auto st = virt::domain_state(d.get());
    auto& lab = labs[meta->lab_id];
    lab.lab_id = meta->lab_id;
    if (lab.project_dir.empty()) lab.project_dir = meta->project_dir;
    lab.machines.push_back(
        {meta->node, st.ok() ? to_machine_state(st.value()) : MachineState::Unknown, std::nullopt});
  }
  // Labs with networks but no machine left (an up that failed early, a partial destroy).
  for (auto& n : must(virt::list_networks(c))) {
    const std::string name = virt::network_name(n.get());
    bool known = false;
    for (const auto& [id, lab] : labs) known = known || name.rfind(networks::prefix(id), 0) == 0;
    if (known) continue;
    if (auto parts = split_backend_name(name)) labs[parts->first].lab_id = parts->first;
  }
  std::vector<LabListing> out;
  for (auto& [id, lab] : labs) out.push_back(std::move(lab));
  return out;
}

std::string daemon_namespace(const std::string& uri, std::string* route_table) {
  if (!local_qemu(uri)) return "";
  if (!system_uri(uri)) {  // the session daemon is the user's own, in the user's namespace
    if (route_table) *route_table = "/proc/net/route";
    return "";
  }
  std::string daemon;
  pid_t pid = system_daemon(&daemon);
  if (pid == 0) return "";
  const std::string link = fmt::format("/proc/{}/ns/net", pid);
  if (route_table) {
    *route_table = fmt::format("/proc/{}/net/route", pid);
    if (!host::read_text(*route_table)) *route_table = "/proc/net/route";
  }
  const std::string id = ns_id(link);
  if (id.empty())
    return fmt::format("an unknown network namespace ({} pid {}; run as root to tell)", daemon,
                       pid);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/run/netns", ec))
    if (ns_id(e.path()) == id)
      return fmt::format("network namespace {} ({} pid {})", e.path().filename().string(), daemon,
                         pid);
  std::string root = ns_id("/proc/1/ns/net");
  if (root.empty()) root = ns_id("/proc/self/ns/net");
  if (id == root) return fmt::format("the root network namespace ({} pid {})", daemon, pid);
  return fmt::format("an unnamed network namespace ({} pid {})", daemon, pid);
}

HostReport diagnose(const std::string& uri, virConnectPtr c, const std::string& connect_error,
                    const config::Topology* topo, const std::string& lab_id) {
  HostReport r;
  r.local = local_qemu(uri);
  r.checks.push_back(connection_check(uri, c, connect_error, &r.route_table));
  if (auto d = default_uri_check(uri)) r.checks.push_back(*d);
  r.checks.push_back(accel_check(uri));
  if (system_uri(uri)) r.checks.push_back(pool_check());
  if (r.local) {
    r.checks.push_back(qemu_img_check());
    r.storage_dir = storage::pool_dir();
  }
  if (topo && c) {
    r.checks.push_back(networks_check(c, *topo, lab_id));
    r.own_interfaces = own_bridges(c, lab_id);
  }
  return r;
}

}  // namespace vmlab::providers::libvirt
