// The provider against a real libvirtd + QEMU (TCG), when one is offered:
//   VMLAB_TEST_LIBVIRT_URI=qemu:///system (libvirtd started by scripts/libvirtd-netns.sh, so
//   its NAT network lives in a network namespace). Boots the host's kernel + initrd from a
//   handmade box, checks the console log, stops and removes everything.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "providers/libvirt/libvirt_provider.hpp"
#include "seed/seed.hpp"
#include "testutil.hpp"

using namespace vmlab;
using namespace vmlab::providers;

namespace {

std::string find_boot_file(const char* prefix) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/boot", ec))
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
  return "";
}

}  // namespace

TEST_CASE("real libvirtd: create, boot (TCG), console, stop, destroy") {
  const char* uri = std::getenv("VMLAB_TEST_LIBVIRT_URI");
  if (!uri || !*uri) {
    VMLAB_SKIP(
        "VMLAB_TEST_LIBVIRT_URI is not set (start one with "
        "scripts/libvirtd-netns.sh start NS and set it to qemu:///system)");
  }
  std::string kernel = find_boot_file("vmlinuz-"), initrd = find_boot_file("initrd.img-");
  if (kernel.empty() || initrd.empty() || std::system("command -v qemu-img >/dev/null") != 0) {
    VMLAB_SKIP("needs /boot/vmlinuz-*, /boot/initrd.img-* and qemu-img");
  }
  test::TempDir home;
  setenv("VMLAB_HOME", home.path().c_str(), 1);
  std::filesystem::create_directories(home / "boxes/hostkernel");
  std::filesystem::copy_file(kernel, home / "boxes/hostkernel/vmlinuz");
  std::filesystem::copy_file(initrd, home / "boxes/hostkernel/initrd.img");
  REQUIRE(std::system(("qemu-img create -q -f qcow2 '" +
                       (home / "boxes/hostkernel/box.qcow2").string() + "' 64M")
                          .c_str()) == 0);
  home.write(
      "boxes/hostkernel/box.json",
      R"({"user":"root","kernel":"vmlinuz","initrd":"initrd.img","cmdline":"console=ttyS0 panic=-1 rd.shell=0"})");

  config::Topology t;
  t.name = "real";
  t.libvirt.uri = uri;
  t.networks.push_back({"lab", "192.168.231.0/24", 0xc0a8e700, 24, "192.168.231.1"});
  config::Node n;
  n.name = "n1";
  n.box = "hostkernel";
  n.memory_mib = 512;
  n.disk_mib = 64;
  n.addresses.push_back({"lab", "192.168.231.10", 24});
  t.nodes.push_back(n);
  const std::string lab = "real-0c0ffe";

  auto p = make_libvirt_provider(t);
  p->check(t, lab);
  p->prepare_lab(t, lab);
  MachineSpec spec;
  spec.topo = &t;
  spec.node = &t.nodes[0];
  spec.ref = {lab, spec.node->name};
  spec.keys = {"root", "ssh-ed25519 AAAA test", "", ""};
  spec.hosts_file = seed::hosts_file(t);
  auto t0 = std::chrono::steady_clock::now();
  p->create(spec,
            [](const std::string& node, const std::string& msg) { MESSAGE(node << ": " << msg); });
  p->start({lab, "n1"});
  auto machines = p->list(lab);
  REQUIRE(machines.size() == 1);
  CHECK(machines[0].state == MachineState::Running);
  REQUIRE(machines[0].ssh);
  MESSAGE("ssh endpoint " << machines[0].ssh->host << ":" << machines[0].ssh->port);
  std::string tail;
  for (int i = 0; i < 120 && tail.find("Linux version") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    tail = p->console_tail({lab, "n1"}, 400);
  }
  auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("console after " << secs.count() << " s, last lines:\n" << p->console_tail({lab, "n1"}, 5));
  CHECK(tail.find("Linux version") != std::string::npos);
  p->stop({lab, "n1"}, false, std::chrono::seconds(3));
  CHECK(p->list(lab)[0].state == MachineState::Stopped);
  auto t1 = std::chrono::steady_clock::now();
  CHECK(p->list(lab).size() == 1);
  auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t1);
  MESSAGE("list() through libvirtd took " << us.count() << " us");
  p->destroy({lab, "n1"});
  CHECK(p->console_tail({lab, "n1"}, 5) == "");  // the console log went with the machine
  p->destroy_lab(lab);
  CHECK(p->list(lab).empty());
  int removed = remove_libvirt_box_volumes("hostkernel", uri);
  CHECK(removed == 3);
}

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

// With a seed-aware box (boxes/build-tiny-box.sh) and the libvirtd's network namespace:
//   VMLAB_TEST_BOX_DIR=/var/cache/vmlab/boxes/vmlab-tiny VMLAB_TEST_NETNS=NS
// boots it with a real seed and logs in over SSH on the management address, host key pinned.
TEST_CASE("real libvirtd: the seed configures the guest; SSH with the pinned host key") {
  const char* uri = std::getenv("VMLAB_TEST_LIBVIRT_URI");
  const char* box_dir = std::getenv("VMLAB_TEST_BOX_DIR");
  const char* netns = std::getenv("VMLAB_TEST_NETNS");
  if (!uri || !box_dir || !netns) {
    VMLAB_SKIP(
        "set VMLAB_TEST_LIBVIRT_URI, VMLAB_TEST_BOX_DIR and VMLAB_TEST_NETNS to boot "
        "a seed-aware box and log in over SSH");
  }
  test::TempDir home;
  setenv("VMLAB_HOME", home.path().c_str(), 1);
  std::string box = std::filesystem::path(box_dir).filename().string();
  boxes::add_box(box, box_dir);
  REQUIRE(std::system(("ssh-keygen -q -t ed25519 -N '' -C lab -f '" + (home / "lab").string() +
                       "' && ssh-keygen -q -t ed25519 -N '' -C host -f '" +
                       (home / "host").string() + "'")
                          .c_str()) == 0);
  config::Topology t;
  t.name = "seed";
  t.libvirt.uri = uri;
  t.networks.push_back({"lab", "192.168.232.0/24", 0xc0a8e800, 24, "192.168.232.1"});
  config::Node n;
  n.name = "seeded1";
  n.box = box;
  n.memory_mib = 256;
  n.addresses.push_back({"lab", "192.168.232.10", 24});
  t.nodes.push_back(n);
  const std::string lab = "seed-5eed01";
  auto p = make_libvirt_provider(t);
  p->check(t, lab);
  p->prepare_lab(t, lab);
  MachineSpec spec;
  spec.topo = &t;
  spec.node = &t.nodes[0];
  spec.ref = {lab, spec.node->name};
  auto trim = [](std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
  };
  spec.keys = {"root", trim(slurp(home / "lab.pub")), slurp(home / "host"),
               trim(slurp(home / "host.pub"))};
  spec.hosts_file = seed::hosts_file(t);
  p->create(spec, nullptr);
  p->start({lab, "seeded1"});
  auto ep = p->list(lab).at(0).ssh.value();
  home.write("known_hosts", ep.host + " " + spec.keys.host_key_public + "\n");
  std::string ssh = "ip netns exec " + std::string(netns) + " ssh -i '" + (home / "lab").string() +
                    "' -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=yes "
                    "-o UserKnownHostsFile='" +
                    (home / "known_hosts").string() + "' root@" + ep.host +
                    " 'hostname; grep seeded1 /etc/hosts; ip -4 addr' > '" +
                    (home / "out").string() + "' 2>/dev/null";
  auto t0 = std::chrono::steady_clock::now();
  bool ok = false;
  for (int i = 0; i < 90 && !ok; ++i) {
    ok = std::system(ssh.c_str()) == 0;
    if (!ok) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  auto secs =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("ssh after " << secs.count() << " s:\n" << slurp(home / "out"));
  if (!ok) MESSAGE("console:\n" << p->console_tail({lab, "seeded1"}, 40));
  CHECK(ok);
  auto out = slurp(home / "out");
  CHECK(out.rfind("seeded1\n", 0) == 0);
  CHECK(out.find("192.168.232.10 seeded1") != std::string::npos);
  CHECK(out.find("inet 192.168.232.10/24") != std::string::npos);
  p->stop({lab, "seeded1"}, true, std::chrono::seconds(0));
  p->destroy({lab, "seeded1"});
  p->destroy_lab(lab);
  CHECK(p->list(lab).empty());
  remove_libvirt_box_volumes(box, uri);
}
