// `vmlab ls` and `vmlab doctor` against libvirt's in-process test driver (test:///default):
// two labs made through the provider, found again from the driver's records alone; --prune's
// removal (executor::prune_lab = executor::destroy) takes only the lab whose project is gone.
// doctor: a lab network colliding with a route (injected route table) or with another lab's
// libvirt network fails; a clean lab passes.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "config/ip.hpp"
#include "core/log.hpp"
#include "executor/doctor.hpp"
#include "executor/host_labs.hpp"
#include "providers/libvirt/libvirt_provider.hpp"
#include "providers/libvirt/virt.hpp"
#include "seed/seed.hpp"
#include "state/state.hpp"
#include "testutil.hpp"

using namespace vmlab;
using providers::CheckLevel;

namespace {

struct Env {
  test::TempDir home;
  // The test driver keeps its state while one connection is open: this one, for the test.
  providers::libvirt::virt::Connection keep;
  Env() {
    setenv("VMLAB_HOME", (home / "data").c_str(), 1);
    setenv("VMLAB_LIBVIRT_POOL_DIR", (home / "pool").c_str(), 1);
    setenv("VMLAB_LIBVIRT_URI", "test:///default", 1);
    setenv("VMLAB_VBOXMANAGE", "/nonexistent/VBoxManage", 1);  // VirtualBox "not installed"
    unsetenv("LIBVIRT_DEFAULT_URI");
    unsetenv("VMLAB_ACCEL");
    log::set_level(log::Level::Error);  // the test driver's "cannot upload" warnings
    std::string header("QFI\xfb", 4);
    header += std::string(20, '\0') + std::string("\0\0\0\0\x04\0\0\0", 8);  // 64 MiB
    home.write("data/boxes/tiny/box.qcow2", header);
    home.write("data/boxes/tiny/box.json", R"({"user":"root","seed":"vmlab-init"})");
    auto c = providers::libvirt::virt::open("test:///default");
    REQUIRE(c.ok());
    keep = std::move(c.value());
  }
};

config::Topology topology(const std::string& name, const std::filesystem::path& project,
                          std::uint32_t base, int nodes) {
  config::Topology t;
  t.name = name;
  t.provider = "libvirt";
  t.project_dir = project;
  t.vmfile = project / "Vmfile";
  config::Network net{"lab", "", base, 24, ""};
  net.cidr = config::Cidr{base, 24}.str();
  net.gateway = config::format_ipv4(base + 1);
  t.networks.push_back(net);
  for (int i = 1; i <= nodes; ++i) {
    config::Node n;
    n.name = "n" + std::to_string(i);
    n.box = "tiny";
    n.memory_mib = 128;
    n.disk_mib = 1024;
    n.addresses.push_back({"lab", config::format_ipv4(base + 10 + static_cast<unsigned>(i)), 24});
    t.nodes.push_back(n);
  }
  return t;
}

// Makes the lab's machines (stopped) through the provider, as `up` would; returns its id.
std::string make_lab(const config::Topology& t) {
  const std::string id = state::make_lab_id(t.name, t.project_dir);
  auto p = providers::make_libvirt_provider(t);
  p->prepare_lab(t, id);
  for (const auto& n : t.nodes) {
    providers::MachineSpec s;
    s.topo = &t;
    s.node = &n;
    s.ref = {id, n.name};
    s.keys = {"root", "ssh-ed25519 AAAAlab", "PRIVATE", "ssh-ed25519 AAAAhost"};
    s.hosts_file = seed::hosts_file(t);
    p->create(s, nullptr);
  }
  return id;
}

const executor::HostLab* find(const executor::HostLabs& all, const std::string& id) {
  for (const auto& l : all.labs)
    if (l.lab_id == id) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("ls finds two labs with their project dirs; --prune removes only the gone one") {
  Env env;
  test::TempDir projects;
  std::filesystem::create_directories(projects / "a");
  std::filesystem::create_directories(projects / "b");
  auto ta = topology("alpha", projects / "a", 0x0A580000u, 2);  // 10.88.0.0/24
  auto tb = topology("beta", projects / "b", 0x0A590000u, 3);   // 10.89.0.0/24
  const std::string a = make_lab(ta), b = make_lab(tb);
  providers::make_libvirt_provider(ta)->start({a, "n1"});

  auto t0 = std::chrono::steady_clock::now();
  auto all = executor::find_host_labs();
  auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
  MESSAGE("find_host_labs (libvirt test driver, 2 labs / 5 machines, VirtualBox absent): "
          << ms.count() << " ms");
  CHECK(ms.count() < 1000);
  CHECK(all.unreachable.empty());  // libvirt answers; VirtualBox is not installed: no entry
  auto* la = find(all, a);
  auto* lb = find(all, b);
  REQUIRE(la);
  REQUIRE(lb);
  CHECK(la->provider == "libvirt");
  CHECK(la->project_dir == (projects / "a").string());
  CHECK(la->nodes == 2);
  CHECK(la->state == "partly");
  CHECK(lb->project_dir == (projects / "b").string());
  CHECK(lb->nodes == 3);
  CHECK(lb->state == "halted");
  CHECK_FALSE(la->project_gone());
  CHECK_FALSE(lb->project_gone());
  // The driver's own domain "test" is not vmlab's.
  for (const auto& l : all.labs) CHECK(l.lab_id.find("test") == std::string::npos);

  std::filesystem::remove_all(projects / "b");
  all = executor::find_host_labs();
  REQUIRE(find(all, b));
  CHECK(find(all, b)->project_gone());
  CHECK_FALSE(find(all, a)->project_gone());
  int pruned = 0;
  for (const auto& l : all.labs)
    if (l.project_gone()) {
      executor::Reporter rep(true);
      CHECK(executor::prune_lab(l, rep));
      ++pruned;
    }
  CHECK(pruned == 1);
  CHECK_FALSE(std::filesystem::exists(projects / "b"));  // pruning does not recreate it

  all = executor::find_host_labs();
  CHECK_FALSE(find(all, b));  // machines and networks gone
  REQUIRE(find(all, a));
  CHECK(find(all, a)->nodes == 2);
  CHECK(providers::make_libvirt_provider(tb)->list(b).empty());
}

TEST_CASE("ls: a lab with networks but no machine left is listed as empty") {
  Env env;
  test::TempDir projects;
  auto t = topology("netonly", projects / "p", 0x0A5A0000u, 0);
  const std::string id = state::make_lab_id(t.name, t.project_dir);
  providers::make_libvirt_provider(t)->prepare_lab(t, id);
  auto all = executor::find_host_labs();
  auto* l = find(all, id);
  REQUIRE(l);
  CHECK(l->state == "empty");
  CHECK(l->nodes == 0);
  CHECK(l->project_dir.empty());  // networks carry no project: never pruned
  CHECK_FALSE(l->project_gone());
  executor::Reporter rep(true);
  CHECK(executor::prune_lab(*l, rep));  // what destroy does also removes a networks-only lab
  CHECK_FALSE(find(executor::find_host_labs(), id));
}

TEST_CASE("doctor: a lab network on a host route or on another lab's network fails") {
  Env env;
  test::TempDir projects;
  auto t = topology("doc", projects / "d", 0x0A5B0000u, 1);  // 10.91.0.0/24
  const std::string id = state::make_lab_id(t.name, t.project_dir);
  auto p = providers::make_libvirt_provider(t);
  const auto routes = projects.write(
      "route",
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "tun0\t0000000A\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n");  // 10.0.0.0/8
  executor::DoctorOptions opts;
  opts.route_table = routes.string();
  auto checks = executor::doctor(*p, &t, id, opts);
  auto level = [&](const std::string& name) {
    for (const auto& c : checks)
      if (c.name == name) return std::string(providers::to_string(c.level));
    return std::string("missing");
  };
  auto detail = [&](const std::string& name) {
    for (const auto& c : checks)
      if (c.name == name) return c.detail + " | " + c.fix;
    return std::string();
  };
  CHECK(level("provider") == "ok");
  CHECK(detail("provider").find("libvirt at test:///default") == 0);
  CHECK(level("routes") == "fail");
  CHECK(detail("routes") ==
        "network \"lab\" (10.91.0.0/24) overlaps the route 10.0.0.0/8 dev tun0 | choose a cidr "
        "no host route covers (see `ip route`), or remove that route");
  CHECK(level("lab-networks") == "ok");
  CHECK(level("boxes") == "ok");
  CHECK(level("ssh-keygen") == "ok");
  CHECK_FALSE(executor::doctor_passed(checks));

  // Without the 10.0.0.0/8 route (only the default route) the same lab passes.
  projects.write("route",
                 "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\t"
                 "IRTT\neth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n");
  checks = executor::doctor(*p, &t, id, opts);
  CHECK(level("routes") == "ok");
  for (const auto& c : checks) {
    CAPTURE(c.name);
    CAPTURE(c.detail);
    CHECK(c.level != CheckLevel::Fail);
  }
  CHECK(executor::doctor_passed(checks));

  // Another lab already has 10.91.0.0/24 in libvirt: this one cannot have it.
  auto other = topology("other", projects / "o", 0x0A5B0000u, 0);
  providers::make_libvirt_provider(other)->prepare_lab(
      other, state::make_lab_id(other.name, other.project_dir));
  checks = executor::doctor(*p, &t, id, opts);
  CHECK(level("lab-networks") == "fail");
  CHECK(detail("lab-networks").find("overlaps libvirt network \"vmlab-other-") !=
        std::string::npos);
  CHECK_FALSE(executor::doctor_passed(checks));

  // Host checks only (no Vmfile): no lab checks at all.
  checks = executor::doctor(*p, nullptr, "", opts);
  CHECK(level("routes") == "missing");
  CHECK(level("provider") == "ok");
}

TEST_CASE("doctor: an unreachable libvirt is a failed provider check, not an exception") {
  Env env;
  config::Topology t;
  t.libvirt.uri = "qemu+unix:///system?socket=/nonexistent/libvirt-sock";
  setenv("VMLAB_ACCEL", "tcg", 1);  // a local URI: skip the KVM probe (its own test is elsewhere)
  auto p = providers::make_libvirt_provider(t);
  auto checks = executor::doctor(*p, nullptr, "");
  REQUIRE_FALSE(checks.empty());
  CHECK(checks[0].name == "provider");
  CHECK(checks[0].level == CheckLevel::Fail);
  CHECK(checks[0].detail.find("does not answer") != std::string::npos);
  CHECK(checks[0].fix.find("VMLAB_LIBVIRT_URI") != std::string::npos);
  CHECK_FALSE(executor::doctor_passed(checks));
}
