// The libvirt Provider: machine lifecycle over the seam in virt.hpp. Lab-wide networks are in
// networks.cpp, storage in storage.cpp, the domain XML in domain_xml.cpp.
#include "providers/libvirt/libvirt_provider.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

#include "boxes/box.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "core/text_util.hpp"
#include "providers/libvirt/accel.hpp"
#include "providers/libvirt/domain_xml.hpp"
#include "providers/libvirt/host_checks.hpp"
#include "providers/libvirt/networks.hpp"
#include "providers/libvirt/storage.hpp"
#include "providers/libvirt/virt.hpp"
#include "seed/seed.hpp"

namespace vmlab::providers {
namespace lv = libvirt;
namespace virt = libvirt::virt;

namespace {

template <typename T>
T take(Result<T> r) {
  if (!r.ok()) throw ProviderError(r.error());
  return std::move(r.value());
}

std::string domain_name(const MachineRef& m) { return lv::networks::prefix(m.lab_id) + m.node; }

seed::Input seed_input(const MachineSpec& s) {
  return {s.ref.lab_id,         s.node->name,          s.keys.user, s.keys.authorized_key,
          s.keys.host_key_private, s.keys.host_key_public, s.hosts_file};
}

std::string console_log_path(const std::string& domain) {
  return settings::text("VMLAB_LIBVIRT_LOG_DIR") + "/" + domain + "-console.log";
}

bool is_active(int s) {
  return s != VIR_DOMAIN_SHUTOFF && s != VIR_DOMAIN_CRASHED && s != VIR_DOMAIN_NOSTATE;
}

virt::Connection connect(const std::string& uri) {
  auto c = virt::open(uri);
  if (!c.ok())
    throw ProviderError(fmt::format(
        "cannot connect to libvirt at {}: {}\nhint: start libvirtd inside a network namespace "
        "with scripts/libvirtd-netns.sh, or point VMLAB_LIBVIRT_URI at a running one",
        uri, c.error()));
  return std::move(c.value());
}

class LibvirtProvider final : public Provider {
 public:
  explicit LibvirtProvider(std::string uri) : uri_(std::move(uri)) {}

  Capabilities capabilities() const override {
    Capabilities c;
    c.linked_clones = true;
    c.parallel_create = true;
    c.ssh_via_port_forward = false;
    c.guest_reachable = true;  // the host side of the management network: the core forwards
    c.private_networks = true;
    c.snapshots = true;   // internal qcow2 snapshots of the overlay (with memory when running)
    c.sync_mount = true;  // virtio-9p, mounted by the core over SSH
    return c;
  }

  GuestMount sync_mount(const config::Node& /*node*/, std::size_t index) const override {
    return {"9p", lv::sync_tag(index), "trans=virtio,version=9p2000.L,msize=262144"};
  }

  void check(const config::Topology& topo, const std::string& lab_id) override {
    for (const auto& n : topo.nodes)
      if (!boxes::find_box(n.box))
        throw UsageError(fmt::format(
            "node \"{}\": box \"{}\" is not installed (add it with: vmlab box add {} PATH)", n.name,
            n.box, n.box));
    lv::networks::check_ranges(conn(), topo, lab_id);
  }

  void prepare_lab(const config::Topology& topo, const std::string& lab_id) override {
    take(lv::storage::ensure_pool(conn()));
    lv::networks::ensure(conn(), topo, lab_id);
  }

  void create(const MachineSpec& spec, const ProgressFn& progress) override;

  void start(const MachineRef& m) override {
    auto dom = take(virt::find_domain(conn(m), domain_name(m)));
    if (!dom) throw ProviderError(fmt::format("{}: machine is not created", m.node));
    const int st = take(virt::domain_state(dom.get()));
    // Paused (a snapshot save cut short, or a user's virsh suspend): running again is resuming.
    // libvirt also reports a domain it is still starting (a vmlab killed meanwhile) as paused,
    // and it may be running by the time we resume it: that is success too.
    if (st == VIR_DOMAIN_PAUSED) {
      resume_or_running(dom.get());
      return;
    }
    if (is_active(st)) return;
    take(virt::start_domain(dom.get()));
  }

  void stop(const MachineRef& m, bool force, std::chrono::seconds grace) override {
    auto dom = take(virt::find_domain(conn(m), domain_name(m)));
    if (!dom || !is_active(take(virt::domain_state(dom.get())))) return;
    if (!force) {
      auto sent = virt::shutdown_domain(dom.get());
      if (sent.ok()) {
        auto deadline = std::chrono::steady_clock::now() + grace;
        while (std::chrono::steady_clock::now() < deadline) {
          auto st = virt::domain_state(dom.get());
          if (st.ok() && !is_active(st.value())) return;
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        log::info("libvirt", "{}: no shutdown after {}s, forcing", m.node, grace.count());
      }
    }
    auto st = take(virt::domain_state(dom.get()));
    if (is_active(st)) take(virt::destroy_domain(dom.get()));
  }

  void destroy(const MachineRef& m) override {
    std::string name = domain_name(m);
    auto dom = take(virt::find_domain(conn(m), name));
    if (dom) {
      if (is_active(take(virt::domain_state(dom.get())))) take(virt::destroy_domain(dom.get()));
      take(virt::undefine_domain(dom.get()));
    }
    if (uri_.rfind("qemu:///", 0) == 0) {  // local: the console log is ours to remove
      std::error_code ec;
      std::filesystem::remove(console_log_path(name), ec);
    }
    auto pool = take(virt::find_pool(conn(), lv::storage::kPoolName));
    if (!pool) return;
    take(lv::storage::delete_volume(pool.get(), name + ".qcow2"));
    take(lv::storage::delete_volume(pool.get(), name + "-seed.iso"));
  }

  void destroy_lab(const std::string& lab_id) override { lv::networks::remove_all(conn(), lab_id); }

  std::vector<MachineInfo> list(const std::string& lab_id) override {
    return reading([&] {
      std::vector<MachineInfo> out;
      std::string prefix = lv::networks::prefix(lab_id);
      for (auto& d : take(virt::list_domains(conn()))) {
        if (virt::domain_name(d.get()).rfind(prefix, 0) != 0) continue;
        if (auto info = describe(d.get(), lab_id)) out.push_back(std::move(*info));
      }
      return out;
    });
  }

  MachineInfo info(const MachineRef& m) override {
    return reading([&] {
      auto dom = take(virt::find_domain(conn(m), domain_name(m)));
      std::optional<MachineInfo> info;
      if (dom) info = describe(dom.get(), m.lab_id);
      if (!info) return MachineInfo{m.node, MachineState::NotCreated, std::nullopt};
      return *info;
    });
  }

  std::vector<LabListing> list_labs() override {
    return reading([&] { return lv::list_labs(conn()); });
  }

  HostReport diagnose(const config::Topology* topo, const std::string& lab_id) override {
    std::string error;
    virConnectPtr c = nullptr;
    try {
      c = conn();
    } catch (const Error& e) {
      error = e.what();
      error = error.substr(0, error.find('\n'));  // without connect()'s hint: doctor has its own
    }
    return lv::diagnose(uri_, c, error, topo, lab_id);
  }

  // Snapshots live inside the machine's qcow2 overlay (internal snapshots): a running
  // machine's include its memory and devices, a stopped one's the disk alone. The seed CD
  // (read-only, raw) is left out. They go with the overlay at destroy.
  void snapshot_save(const MachineRef& m, const std::string& name) override {
    auto dom = existing(m);
    for (const auto& s : take(virt::list_snapshots(dom.get())))
      if (s.name == name)
        throw ProviderError(fmt::format("{}: snapshot '{}' exists already", m.node, name));
    take(virt::create_snapshot(
        dom.get(), fmt::format("<domainsnapshot>\n  <name>{}</name>\n  <description>vmlab lab "
                               "snapshot</description>\n  <disks>\n    <disk name='vda' "
                               "snapshot='internal'/>\n    <disk name='sda' snapshot='no'/>\n"
                               "  </disks>\n</domainsnapshot>\n",
                               util::xml_escape(name))));
  }

  void snapshot_restore(const MachineRef& m, const std::string& name) override {
    auto dom = existing(m);
    if (!take(virt::revert_snapshot(dom.get(), name)))
      throw ProviderError(fmt::format("{}: no snapshot '{}'", m.node, name));
  }

  std::vector<SnapshotInfo> snapshot_list(const MachineRef& m) override {
    auto dom = take(virt::find_domain(conn(m), domain_name(m)));
    std::vector<SnapshotInfo> out;
    if (!dom) return out;
    for (const auto& s : take(virt::list_snapshots(dom.get())))
      out.push_back({s.name, s.created ? util::iso8601_utc(s.created) : ""});
    return out;
  }

  void snapshot_delete(const MachineRef& m, const std::string& name) override {
    auto dom = take(virt::find_domain(conn(m), domain_name(m)));
    if (dom) (void)take(virt::delete_snapshot(dom.get(), name));
  }

  void pause(const MachineRef& m) override {
    auto dom = existing(m);
    if (take(virt::domain_state(dom.get())) == VIR_DOMAIN_RUNNING)
      take(virt::suspend_domain(dom.get()));
  }

  void resume(const MachineRef& m) override {
    auto dom = existing(m);
    if (take(virt::domain_state(dom.get())) == VIR_DOMAIN_PAUSED) resume_or_running(dom.get());
  }

  std::string console_tail(const MachineRef& m, int lines) override {
    if (uri_.rfind("qemu:///", 0) != 0) return "";  // the log lives on another host
    return util::tail_lines(console_log_path(domain_name(m)), lines);
  }

 private:
  // Resumes a paused domain; one found running meanwhile is no failure.
  static void resume_or_running(virDomainPtr d) {
    auto r = virt::resume_domain(d);
    if (!r.ok() && take(virt::domain_state(d)) != VIR_DOMAIN_RUNNING)
      throw ProviderError(r.error());
  }

  virt::Domain existing(const MachineRef& m) {
    auto dom = take(virt::find_domain(conn(m), domain_name(m)));
    if (!dom) throw ProviderError(fmt::format("{}: machine is not created", m.node));
    return dom;
  }

  // A domain of lab `lab_id` as MachineInfo; nullopt when it is not one of the lab's (another
  // lab sharing the prefix) or was undefined meanwhile.
  std::optional<MachineInfo> describe(virDomainPtr d, const std::string& lab_id) {
    auto meta = virt::domain_metadata(d, lv::kMetadataNs);
    if (!meta.ok()) {
      // A connection lost under the call is no "undefined meanwhile": a lab listed without its
      // machines would lose their records (reading() runs the call again instead).
      if (!virt::is_open(d)) throw ProviderError(meta.error());
      return std::nullopt;  // undefined meanwhile
    }
    auto m = lv::parse_metadata(meta.value());
    if (!m || m->lab_id != lab_id) return std::nullopt;
    auto st = virt::domain_state(d);
    MachineInfo info;
    info.name = m->node;
    info.state = st.ok() ? lv::to_machine_state(st.value()) : MachineState::Unknown;
    if (!m->ssh_host.empty()) info.ssh = SshEndpoint{m->ssh_host, m->ssh_port};
    return info;
  }

  // The connection for a machine: one hypervisor per provider today (MachineRef::host "" or
  // this provider's URI).
  virConnectPtr conn(const MachineRef& m) {
    if (!m.host.empty() && m.host != uri_)
      throw ProviderError(fmt::format("{}: lives on {}, but this lab's libvirt is {} (labs on "
                                      "several hosts are not supported yet)",
                                      m.node, m.host, uri_));
    return conn();
  }

  // A call that only reads, run again once when it failed because the connection was lost
  // (the call that finds a restarted daemon fails; the next conn() reconnects).
  template <typename F>
  std::invoke_result_t<F&> reading(F&& f) {
    std::uint64_t before = generation();
    try {
      return f();
    } catch (const ProviderError&) {
      {
        std::lock_guard lock(mu_);
        // Retried when the connection the call used is gone: reopened meanwhile by another
        // thread (a new generation), or seen closed now.
        if (generation_ == before && conn_ && virt::is_open(conn_.get())) throw;
      }
      return f();
    }
  }

  std::uint64_t generation() {
    std::lock_guard lock(mu_);
    return generation_;
  }

  // A connection lost to a libvirtd restart (seen closed by a failed call, or not answering
  // after a second unused) is opened again, waiting up to 30 s for the daemon to come back. The
  // old one is kept, not closed: another thread may still be inside a call on it.
  virConnectPtr conn() {
    std::lock_guard lock(mu_);
    bool idle = std::chrono::steady_clock::now() - used_ > std::chrono::seconds(1);
    if (conn_ && !(idle ? virt::answers(conn_.get()) : virt::is_open(conn_.get()))) {
      log::info("libvirt", "the connection to {} was lost (libvirtd restarted?): reconnecting",
                uri_);
      lost_.push_back(std::move(conn_));
      patient_ = true;
    }
    if (!conn_) {
      conn_ = patient_ ? reconnect() : connect(uri_);
      ++generation_;
    }
    used_ = std::chrono::steady_clock::now();
    return conn_.get();
  }

  // Once per lost connection: after 30 s without the daemon, later calls fail at once (with
  // connect()'s hint) instead of each waiting again.
  virt::Connection reconnect() {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
      auto c = virt::open(uri_);
      if (c.ok()) {
        patient_ = false;
        return std::move(c.value());
      }
      if (std::chrono::steady_clock::now() > until) {
        patient_ = false;
        return connect(uri_);  // throws, with the hint
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }

  std::string uri_;
  std::mutex mu_;
  virt::Connection conn_;
  std::vector<virt::Connection> lost_;
  bool patient_ = false;  // a connection was lost: the next open waits for the daemon
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point used_;
};

void LibvirtProvider::create(const MachineSpec& spec, const ProgressFn& progress) {
  const config::Node& node = *spec.node;
  std::string name = domain_name(spec.ref);
  if (take(virt::find_domain(conn(spec.ref), name))) return;
  auto say = [&](const std::string& msg) {
    if (progress) progress(node.name, msg);
  };
  auto box = boxes::find_box(node.box);
  if (!box)
    throw ProviderError(
        fmt::format("{}: box \"{}\" is not installed (add it with: vmlab box add {} PATH)",
                    node.name, node.box, node.box));
  auto pool = take(lv::storage::ensure_pool(conn()));
  auto box_vols = take(lv::storage::ensure_box(conn(), pool.get(), *box, say));

  say("creating disk");
  unsigned long long mib = std::max<unsigned long long>(node.disk_mib, box->virtual_size_mib);
  take(lv::storage::create_overlay(pool.get(), name + ".qcow2", box_vols.disk_path,
                                   mib * 1024 * 1024));

  auto nics = seed::nics_for(spec.ref.lab_id, node);
  const bool with_seed = boxes::reads_seed(*box);  // a Vagrant box is configured over SSH
  if (with_seed) {
    say("writing seed");
    auto iso = std::filesystem::temp_directory_path() /
               fmt::format("vmlab-seed-{}-{}.iso", name, getpid());
    seed::write_iso(iso, seed::render_files(seed_input(spec), nics));
    auto uploaded = lv::storage::upload_volume(conn(), pool.get(), name + "-seed.iso", iso);
    std::error_code ec;
    std::filesystem::remove(iso, ec);
    take(std::move(uploaded));
  }

  lv::DomainDef d;
  d.name = name;
  d.type = lv::domain_type_for(uri_);
  d.lab_id = spec.ref.lab_id;
  d.node = node.name;
  if (spec.topo) d.project_dir = spec.topo->project_dir.string();
  d.vcpus = node.cpus;
  d.memory_mib = node.memory_mib;
  d.kernel = box_vols.kernel_path;
  d.initrd = box_vols.initrd_path;
  d.cmdline = box->cmdline;
  d.pool = lv::storage::kPoolName;
  d.disk_volume = name + ".qcow2";
  d.seed_volume = with_seed ? name + "-seed.iso" : "";
  d.disk_cache = settings::text("VMLAB_DISK_CACHE");
  for (const auto& n : nics)
    d.nics.push_back({n.mac, n.network == "mgmt" ? lv::networks::mgmt_name(spec.ref.lab_id)
                                                 : lv::networks::lab_name(spec.ref.lab_id, n.network)});
  for (std::size_t i = 0; i < node.syncs.size(); ++i)
    if (node.syncs[i].mode == config::SyncMode::Mount)
      d.filesystems.push_back({node.syncs[i].host.string(), lv::sync_tag(i)});
  d.console_log = console_log_path(name);
  d.ssh_host = lv::networks::ensure_mgmt_host(conn(), spec.ref.lab_id, node.name, nics[0].mac);
  say("defining machine");
  take(virt::define_domain(conn(), lv::domain_xml(d)));
}

}  // namespace

std::string libvirt_uri(const std::string& topo_uri) {
  if (!topo_uri.empty()) return topo_uri;
  return settings::text("VMLAB_LIBVIRT_URI");
}

std::unique_ptr<Provider> make_libvirt_provider(const config::Topology& topo) {
  return std::make_unique<LibvirtProvider>(libvirt_uri(topo.libvirt.uri));
}

int remove_libvirt_box_volumes(const std::string& name, const std::string& uri) {
  auto c = connect(uri);
  auto pool = take(virt::find_pool(c.get(), lv::storage::kPoolName));
  if (!pool) return 0;
  return take(lv::storage::delete_box_volumes(pool.get(), name));
}

std::string forget_libvirt_box(const std::string& name) {
  int n = remove_libvirt_box_volumes(name, libvirt_uri(""));
  if (n == 0) return "";
  return fmt::format("removed {} volume(s) of \"{}\" from the libvirt pool", n, name);
}

std::string libvirt_library_version() {
  return fmt::format("libvirt {} (compiled against {})", virt::library_version(),
                     virt::header_version());
}

}  // namespace vmlab::providers
