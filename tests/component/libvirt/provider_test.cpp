// The libvirt provider against libvirt's in-process test driver (test:///default): no daemon,
// no QEMU. What the test driver cannot do (volume uploads, starting real guests, NAT on a
// host) is left to the e2e tier; those steps are skipped by the driver itself with a warning.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "providers/libvirt/libvirt_provider.hpp"
#include "providers/libvirt/network_xml.hpp"
#include "providers/libvirt/virt.hpp"
#include "seed/seed.hpp"
#include "testutil.hpp"

using namespace vmlab;
using namespace vmlab::providers;
namespace virt = vmlab::providers::libvirt::virt;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r.ok()) throw Error(r.error());
  return std::move(r.value());
}

// A fake box: a qcow2 header claiming 64 MiB, plus kernel and initrd files.
void make_box(const test::TempDir& home, const std::string& name) {
  std::string header("QFI\xfb", 4);
  header += std::string(20, '\0');
  std::string size(8, '\0');
  size[4] = 0x04;  // 0x04000000 = 64 MiB, big-endian
  header += size;
  home.write("boxes/" + name + "/box.qcow2", header);
  home.write(
      "boxes/" + name + "/box.json",
      R"({"user":"root","kernel":"vmlinuz","initrd":"initrd.img","cmdline":"console=ttyS0"})");
  home.write("boxes/" + name + "/vmlinuz", "kernel");
  home.write("boxes/" + name + "/initrd.img", "initrd");
}

config::Topology topology(int nodes, const std::string& cidr = "192.168.56.0/24") {
  config::Topology t;
  t.name = "lab";
  t.provider = "libvirt";
  t.libvirt.uri = "test:///default";
  auto base = *libvirt::parse_ip(cidr.substr(0, cidr.find('/')));
  t.networks.push_back({"lab", cidr, base, 24, libvirt::ip_string(base + 1)});
  for (int i = 1; i <= nodes; ++i) {
    config::Node n;
    n.name = "n" + std::to_string(i);
    n.box = "tiny";
    n.cpus = 1;
    n.memory_mib = 256;
    n.disk_mib = 1024;
    n.addresses.push_back({"lab", libvirt::ip_string(base + 10 + i), 24});
    t.nodes.push_back(n);
  }
  return t;
}

struct Env {
  test::TempDir home;
  Env() {
    setenv("VMLAB_HOME", home.path().c_str(), 1);
    setenv("VMLAB_LIBVIRT_POOL_DIR", (home.path() / "pool").c_str(), 1);
    log::set_level(log::Level::Error);  // the test driver's "cannot upload" warnings
    make_box(home, "tiny");
  }
};

MachineSpec spec_for(const config::Topology& t, const std::string& lab, int i) {
  MachineSpec s;
  s.topo = &t;
  s.node = &t.nodes[i];
  s.ref = {lab, s.node->name};
  s.keys = {"root", "ssh-ed25519 AAAAlab", "-----BEGIN-----\nx\n-----END-----\n",
            "ssh-ed25519 AAAAhost"};
  s.hosts_file = seed::hosts_file(t);
  return s;
}

// Names of libvirt objects starting with `prefix`: domains, networks, volumes of "vmlab".
std::vector<std::string> leftovers(const std::string& prefix) {
  auto c = must(virt::open("test:///default"));
  std::vector<std::string> out;
  for (auto& d : must(virt::list_domains(c.get())))
    if (virt::domain_name(d.get()).rfind(prefix, 0) == 0) out.push_back(virt::domain_name(d.get()));
  for (auto& n : must(virt::list_networks(c.get())))
    if (virt::network_name(n.get()).rfind(prefix, 0) == 0)
      out.push_back(virt::network_name(n.get()));
  if (auto p = must(virt::find_pool(c.get(), "vmlab")))
    for (auto& v : must(virt::list_volumes(p.get())))
      if (virt::volume_name(v.get()).rfind(prefix, 0) == 0)
        out.push_back(virt::volume_name(v.get()));
  return out;
}

}  // namespace

TEST_CASE("a lab's lifecycle: prepare, create (idempotent), start, list, stop, destroy") {
  Env env;
  auto t = topology(2);
  // n1 shares one folder (mount) and copies another (nothing for the provider to do).
  t.nodes[0].syncs = {{env.home.path(), "/copied", config::SyncMode::Copy, {}},
                      {env.home.path(), "/vmlab", config::SyncMode::Mount, {}}};
  const std::string lab = "life-a1b2c3";
  auto p = make_libvirt_provider(t);
  CHECK(p->capabilities().sync_mount);
  CHECK(p->sync_mount(t.nodes[0], 1).source == "vmlab1");
  CHECK(p->capabilities().linked_clones);
  CHECK_FALSE(p->capabilities().ssh_via_port_forward);
  p->check(t, lab);
  p->prepare_lab(t, lab);
  p->prepare_lab(t, lab);  // idempotent
  std::vector<std::string> progress;
  for (int i = 0; i < 2; ++i)
    p->create(spec_for(t, lab, i), [&](const std::string& n, const std::string& m) {
      progress.push_back(n + ": " + m);
    });
  CHECK(std::find(progress.begin(), progress.end(), "n1: defining machine") != progress.end());
  progress.clear();
  p->create(spec_for(t, lab, 0),
            [&](const std::string& n, const std::string& m) { progress.push_back(n + ": " + m); });
  CHECK(progress.empty());  // existing machine: no-op

  auto machines = p->list(lab);
  REQUIRE(machines.size() == 2);
  std::sort(machines.begin(), machines.end(), [](auto& a, auto& b) { return a.name < b.name; });
  CHECK(machines[0].name == "n1");
  CHECK(machines[0].state == MachineState::Stopped);
  REQUIRE(machines[0].ssh);
  REQUIRE(machines[1].ssh);
  CHECK(machines[0].ssh->host.rfind("10.25", 0) == 0);
  CHECK(machines[0].ssh->port == 22);
  CHECK(machines[0].ssh->host != machines[1].ssh->host);

  // The domain has the management NIC first (its MAC has a DHCP entry), then the lab NIC.
  auto c = must(virt::open("test:///default"));
  auto dom = must(virt::find_domain(c.get(), "vmlab-" + lab + "-n1"));
  REQUIRE(dom);
  std::string dxml = virDomainGetXMLDesc(dom.get(), 0);
  auto mgmt_mac = seed::mac_for(lab, "n1", 0);
  CHECK(dxml.find(mgmt_mac) < dxml.find(seed::mac_for(lab, "n1", 1)));
  CHECK(dxml.find("<filesystem type='mount' accessmode='squash'>") != std::string::npos);
  CHECK(dxml.find("<source dir='" + env.home.path().string() + "'/>") != std::string::npos);
  CHECK(dxml.find("<target dir='vmlab1'/>") != std::string::npos);
  CHECK(dxml.find("<target dir='vmlab0'/>") == std::string::npos);
  auto net = must(virt::find_network(c.get(), "vmlab-" + lab + "-mgmt"));
  REQUIRE(net);
  auto hosts = libvirt::dhcp_hosts(must(virt::network_xml(net.get())));
  bool found = false;
  for (auto& h : hosts) found = found || (h.mac == mgmt_mac && h.ip == machines[0].ssh->host);
  CHECK(found);
  REQUIRE(must(virt::find_network(c.get(), "vmlab-" + lab + "-lab")));

  p->start({lab, "n1"});
  p->start({lab, "n1"});  // no-op when running
  // info(): one machine, the same facts as list(); a missing one is "not created".
  auto one = p->info({lab, "n1"});
  CHECK(one.name == "n1");
  CHECK(one.state == MachineState::Running);
  REQUIRE(one.ssh);
  CHECK(one.ssh->host == machines[0].ssh->host);
  CHECK(p->info({lab, "n7"}).state == MachineState::NotCreated);
  CHECK_THROWS_AS(p->info({lab, "n1", "qemu+ssh://elsewhere/system"}), ProviderError);
  // Snapshots (the test driver keeps them in memory): pause, save, resume, a second save of
  // the name refused, list, restore, delete (idempotent); a paused machine's start resumes it.
  REQUIRE(p->capabilities().snapshots);
  p->pause({lab, "n1"});
  CHECK(p->info({lab, "n1"}).state == MachineState::Paused);
  p->snapshot_save({lab, "n1"}, "s1");
  CHECK_THROWS_AS(p->snapshot_save({lab, "n1"}, "s1"), ProviderError);
  p->start({lab, "n1"});  // resumes
  CHECK(p->info({lab, "n1"}).state == MachineState::Running);
  auto snaps = p->snapshot_list({lab, "n1"});
  REQUIRE(snaps.size() == 1);
  CHECK(snaps[0].name == "s1");
  CHECK(snaps[0].created.size() == 20);  // ISO 8601 UTC
  p->snapshot_restore({lab, "n1"}, "s1");
  CHECK(p->info({lab, "n1"}).state == MachineState::Paused);  // as it was taken
  p->resume({lab, "n1"});
  CHECK(p->info({lab, "n1"}).state == MachineState::Running);
  CHECK_THROWS_AS(p->snapshot_restore({lab, "n1"}, "nope"), ProviderError);
  p->snapshot_delete({lab, "n1"}, "s1");
  p->snapshot_delete({lab, "n1"}, "s1");
  CHECK(p->snapshot_list({lab, "n1"}).empty());
  machines = p->list(lab);
  for (auto& m : machines)
    CHECK(m.state == (m.name == "n1" ? MachineState::Running : MachineState::Stopped));
  p->stop({lab, "n1"}, false, std::chrono::seconds(2));
  p->stop({lab, "n1"}, false, std::chrono::seconds(2));  // no-op when stopped
  p->start({lab, "n2"});
  p->stop({lab, "n2"}, true, std::chrono::seconds(0));
  for (auto& m : p->list(lab)) CHECK(m.state == MachineState::Stopped);
  CHECK(p->console_tail({lab, "n1"}, 10) == "");  // test:// keeps no console log here

  p->destroy({lab, "n1"});
  p->destroy({lab, "n2"});
  p->destroy({lab, "n2"});  // idempotent
  CHECK(p->list(lab).empty());
  p->destroy_lab(lab);
  p->destroy_lab(lab);  // idempotent
  CHECK(leftovers("vmlab-" + lab + "-").empty());
  // The box stays in the pool for the next lab.
  auto pool = must(virt::find_pool(c.get(), "vmlab"));
  REQUIRE(pool);
  int box_vols = 0;
  for (auto& v : must(virt::list_volumes(pool.get())))
    box_vols += virt::volume_name(v.get()).rfind("box-tiny-", 0) == 0;
  CHECK(box_vols == 3);  // disk, kernel, initrd
  CHECK(remove_libvirt_box_volumes("tiny", "test:///default") == 3);
}

TEST_CASE("list() reconciles a machine removed behind the provider's back") {
  Env env;
  auto t = topology(2, "192.168.57.0/24");
  const std::string lab = "recon-d4e5f6";
  auto p = make_libvirt_provider(t);
  p->prepare_lab(t, lab);
  p->create(spec_for(t, lab, 0), nullptr);
  p->create(spec_for(t, lab, 1), nullptr);
  auto c = must(virt::open("test:///default"));
  auto dom = must(virt::find_domain(c.get(), "vmlab-" + lab + "-n2"));
  REQUIRE(dom);
  REQUIRE(virt::undefine_domain(dom.get()).ok());
  auto machines = p->list(lab);
  REQUIRE(machines.size() == 1);
  CHECK(machines[0].name == "n1");
  p->destroy({lab, "n2"});  // already gone: not an error, its volumes go
  p->destroy({lab, "n1"});
  p->destroy_lab(lab);
  CHECK(leftovers("vmlab-" + lab + "-").empty());
}

TEST_CASE("list() ignores another lab whose id shares the prefix, and is fast") {
  Env env;
  auto t = topology(3, "192.168.58.0/24");
  const std::string lab = "fast-abcdef", other = "fast-abcdef-x-123456";
  auto p = make_libvirt_provider(t);
  p->prepare_lab(t, lab);
  for (int i = 0; i < 3; ++i) p->create(spec_for(t, lab, i), nullptr);
  auto t2 = topology(1, "192.168.59.0/24");
  p->prepare_lab(t2, other);
  p->create(spec_for(t2, other, 0), nullptr);
  auto t0 = std::chrono::steady_clock::now();
  auto machines = p->list(lab);
  auto ms =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("list() of 3 machines took " << ms.count() << " us");
  CHECK(machines.size() == 3);
  CHECK(ms.count() < 100000);
  CHECK(p->list(other).size() == 1);
  for (int i = 0; i < 3; ++i) p->destroy({lab, t.nodes[i].name});
  p->destroy({other, "n1"});
  p->destroy_lab(other);
  p->destroy_lab(lab);
  CHECK(leftovers("vmlab-fast-").empty());
}

TEST_CASE("check() names the libvirt network a lab CIDR collides with") {
  Env env;
  auto t = topology(1, "192.168.122.0/24");  // the test driver's "default" network
  auto p = make_libvirt_provider(t);
  try {
    p->check(t, "clash-000001");
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) ==
          "network \"lab\" (192.168.122.0/24) overlaps libvirt network \"default\" "
          "(192.168.122.0/24); choose another cidr");
  }
  CHECK(leftovers("vmlab-clash-").empty());  // check() creates nothing
}

TEST_CASE("check() rejects a missing box and the reserved network name") {
  Env env;
  auto t = topology(1, "192.168.60.0/24");
  t.nodes[0].box = "nope";
  auto p = make_libvirt_provider(t);
  CHECK_THROWS_WITH_AS(
      p->check(t, "x-000002"),
      "node \"n1\": box \"nope\" is not installed (add it with: vmlab box add nope PATH)",
      UsageError);
  t.nodes[0].box = "tiny";
  t.networks[0].name = "mgmt";
  CHECK_THROWS_WITH_AS(p->check(t, "x-000002"),
                       "network \"mgmt\": the name is reserved by the libvirt provider for the "
                       "management network; rename it",
                       UsageError);
}

TEST_CASE("a connection failure names the URI and the netns script") {
  Env env;
  auto t = topology(1);
  t.libvirt.uri = "qemu+unix:///system?socket=/nonexistent/libvirt-sock";
  auto p = make_libvirt_provider(t);
  try {
    p->list("x-000003");
    FAIL("expected a ProviderError");
  } catch (const ProviderError& e) {
    std::string msg = e.what();
    CHECK(msg.rfind(
              "cannot connect to libvirt at qemu+unix:///system?socket=/nonexistent/libvirt-sock: ",
              0) == 0);
    CHECK(msg.find("scripts/libvirtd-netns.sh") != std::string::npos);
  }
}
