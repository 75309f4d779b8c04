// Component tests of the VirtualBox provider, run against the VBoxManage SIMULATOR
// (tests/vboxmanage-sim, written from the VirtualBox manual). They are not a test of VirtualBox.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "providers/virtualbox/vbox_provider.hpp"
#include "vbox_sim_env.hpp"

using namespace vmlab;
using providers::MachineState;
using test::SimEnv;

namespace {

struct Interval {
  double start = 0, end = 0;
};

// clonevm calls from the simulator's call log ("<time> <pid> START clonevm ..." / "END").
std::vector<Interval> clone_intervals(const std::string& log) {
  std::map<std::string, Interval> by_pid;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    double t;
    std::string pid, what, rest;
    w >> t >> pid >> what;
    std::getline(w, rest);
    if (rest.find("clonevm") == std::string::npos) continue;
    (what == "START" ? by_pid[pid].start : by_pid[pid].end) = t;
  }
  std::vector<Interval> out;
  for (auto& [pid, i] : by_pid) out.push_back(i);
  return out;
}

int count_calls(const std::string& log, const std::string& needle) {
  int n = 0;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);)
    if (line.find(" START " + needle) != std::string::npos) ++n;
  return n;
}

}  // namespace

TEST_CASE(
    "[VBoxManage simulator] 4-node lab: parallel create, start, list, stop, recreate, destroy") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto topo = test::make_topo("lab", 4);
  const std::string lab = "lab-a1b2c3";
  auto p = providers::make_virtualbox_provider(topo);
  CHECK(p->capabilities().linked_clones);
  CHECK(p->capabilities().parallel_create);
  CHECK(p->capabilities().ssh_via_port_forward);

  p->check(topo, lab);
  p->prepare_lab(topo, lab);
  p->prepare_lab(topo, lab);  // idempotent
  auto ifs = vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out);
  REQUIRE(ifs.size() == 1);
  CHECK(ifs[0].ip == "192.168.56.1");

  // PARALLEL create, as the executor does it.
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      try {
        p->create(test::make_spec(topo, lab, "n" + std::to_string(i + 1)), nullptr);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (auto& e : errors) CHECK(e == "");

  std::string log = env.call_log();
  auto clones = clone_intervals(log);
  REQUIRE(clones.size() == 4);
  int overlaps = 0;
  for (size_t i = 0; i < clones.size(); ++i)
    for (size_t j = i + 1; j < clones.size(); ++j)
      if (clones[i].start < clones[j].end && clones[j].start < clones[i].end) ++overlaps;
  MESSAGE("VBoxManage simulator call log: " << overlaps << " overlapping clonevm pairs of 6");
  CHECK(overlaps >= 1);
  CHECK(count_calls(log, "createvm") == 1);  // master made once
  CHECK(std::filesystem::exists(env.dir / "data/boxes/tiny/virtualbox/box.vdi"));

  // create() again is a no-op.
  p->create(test::make_spec(topo, lab, "n1"), nullptr);
  CHECK(count_calls(env.call_log(), "clonevm") == 4);

  // The clone is configured as documented.
  auto info = vbox::parse_machinereadable(
      env.sim({"showvminfo", "vmlab-" + lab + "-n2", "--machinereadable"}).out);
  CHECK(info["nic1"] == "nat");
  CHECK(info["nic2"] == "hostonly");
  CHECK(info["hostonlyadapter2"] == ifs[0].name);
  CHECK(info["memory"] == "256");
  CHECK(info["SATA-1-0"].find("seed/n2.iso") != std::string::npos);
  CHECK(info["uartmode1"].find("console/n2.log") != std::string::npos);
  CHECK(std::filesystem::exists(info["SATA-1-0"]));
  CHECK(info["macaddress2"].size() == 12);
  CHECK(info["macaddress2"].find(':') == std::string::npos);

  for (int i = 1; i <= 4; ++i) p->start({lab, "n" + std::to_string(i)});
  auto m = test::by_name(p->list(lab));
  REQUIRE(m.size() == 4);
  std::set<int> ports;
  for (auto& [name, mi] : m) {
    CHECK(mi.state == MachineState::Running);
    REQUIRE(mi.ssh);
    CHECK(mi.ssh->host == "127.0.0.1");
    ports.insert(mi.ssh->port);
  }
  CHECK(ports.size() == 4);
  // info() asks about one machine: one showvminfo, whatever the lab's size.
  const int before = count_calls(env.call_log(), "showvminfo");
  auto one = p->info({lab, "n2"});
  CHECK(count_calls(env.call_log(), "showvminfo") == before + 1);
  CHECK(one.name == "n2");
  CHECK(one.state == MachineState::Running);
  REQUIRE(one.ssh);
  CHECK(one.ssh->port == m["n2"].ssh->port);
  CHECK(p->info({lab, "n9"}).state == MachineState::NotCreated);
  CHECK_THROWS_AS(p->info({lab, "n2", "vbox://elsewhere"}), ProviderError);
  CHECK(env.sim({"getextradata", "vmlab-" + lab + "-n1", "vmlab/ssh_port"}).out ==
        "Value: " + std::to_string(m["n1"].ssh->port) + "\n");

  // console_tail reads the UART1 file.
  env.dir.write("data/virtualbox/labs/" + lab + "/console/n1.log", "a\nb\nc\nd\n");
  CHECK(p->console_tail({lab, "n1"}, 2) == "c\nd\n");

  // Snapshots (the simulator's, written from the manual): a running machine's is online;
  // restore needs it off and leaves it saved, resume() starts it from there.
  REQUIRE(p->capabilities().snapshots);
  const std::string n4 = "vmlab-" + lab + "-n4";
  p->pause({lab, "n4"});
  CHECK(test::by_name(p->list(lab))["n4"].state == MachineState::Paused);
  p->snapshot_save({lab, "n4"}, "s1");
  CHECK_THROWS_AS(p->snapshot_save({lab, "n4"}, "s1"), ProviderError);  // taken
  CHECK(count_calls(env.call_log(), "snapshot " + n4 + " take s1 --live") == 1);
  p->resume({lab, "n4"});
  CHECK(test::by_name(p->list(lab))["n4"].state == MachineState::Running);
  REQUIRE(p->snapshot_list({lab, "n4"}).size() == 1);
  CHECK(p->snapshot_list({lab, "n4"})[0].name == "s1");
  p->snapshot_restore({lab, "n4"}, "s1");
  CHECK(count_calls(env.call_log(), "controlvm " + n4 + " poweroff") == 1);
  CHECK(test::by_name(p->list(lab))["n4"].state == MachineState::Stopped);  // saved
  p->resume({lab, "n4"});                                                   // from the saved state
  CHECK(test::by_name(p->list(lab))["n4"].state == MachineState::Running);
  CHECK_THROWS_AS(p->snapshot_restore({lab, "n4"}, "nope"), ProviderError);
  p->snapshot_delete({lab, "n4"}, "s1");
  p->snapshot_delete({lab, "n4"}, "s1");  // idempotent
  CHECK(p->snapshot_list({lab, "n4"}).empty());

  // Stop via ACPI: the simulator powers off after about 1 s.
  auto t0 = std::chrono::steady_clock::now();
  p->stop({lab, "n1"}, false, std::chrono::seconds(20));
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < std::chrono::seconds(10));
  CHECK(test::by_name(p->list(lab))["n1"].state == MachineState::Stopped);
  CHECK(count_calls(env.call_log(), "controlvm vmlab-" + lab + "-n1 poweroff") == 0);
  // A guest ignoring ACPI is powered off after the grace.
  setenv("VBOXSIM_IGNORE_ACPI", "1", 1);
  p->stop({lab, "n2"}, false, std::chrono::seconds(1));
  unsetenv("VBOXSIM_IGNORE_ACPI");
  CHECK(count_calls(env.call_log(), "controlvm vmlab-" + lab + "-n2 poweroff") == 1);
  CHECK(test::by_name(p->list(lab))["n2"].state == MachineState::Stopped);
  p->stop({lab, "n2"}, false, std::chrono::seconds(1));  // no-op when stopped

  // Half-made (a crash after clonevm): create() rebuilds it instead of keeping it.
  env.sim({"clonevm", "vmlab-master-tiny", "--snapshot", "base", "--options", "link", "--name",
           "vmlab-" + lab + "-n5", "--register"});
  topo.nodes.push_back(topo.nodes.back());
  topo.nodes.back().name = "n5";
  topo.nodes.back().addresses[0].ip = "192.168.56.15";
  p->create(test::make_spec(topo, lab, "n5"), nullptr);
  auto n5 = vbox::parse_machinereadable(
      env.sim({"showvminfo", "vmlab-" + lab + "-n5", "--machinereadable"}).out);
  CHECK(n5["Forwarding(0)"].rfind("ssh,tcp,127.0.0.1,", 0) == 0);
  CHECK(n5["SATA-1-0"].find("seed/n5.iso") != std::string::npos);
  p->destroy({lab, "n5"});

  // Unregistered behind vmlab's back: NotCreated (absent from list), create() recreates it.
  p->stop({lab, "n3"}, true, std::chrono::seconds(0));
  CHECK(env.sim({"unregistervm", "vmlab-" + lab + "-n3", "--delete"}).exit_code == 0);
  CHECK(test::by_name(p->list(lab)).count("n3") == 0);
  p->create(test::make_spec(topo, lab, "n3"), nullptr);
  CHECK(test::by_name(p->list(lab))["n3"].state == MachineState::Stopped);

  // destroy leaves no vmlab-<lab_id>- VM and no lab host-only interface; the master goes too
  // because no other lab uses it.
  for (int i = 1; i <= 4; ++i) p->destroy({lab, "n" + std::to_string(i)});
  p->destroy({lab, "n4"});                                       // idempotent
  CHECK(count_calls(env.call_log(), "closemedium dvd") == 5);  // n1-n5 seeds forgotten too
  p->destroy_lab(lab);
  p->destroy_lab(lab);  // idempotent
  for (auto& name : env.vm_names()) CHECK(name.rfind("vmlab-" + lab + "-", 0) != 0);
  CHECK(env.vm_names().empty());
  CHECK(vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out).empty());
  CHECK_FALSE(std::filesystem::exists(env.dir / "data/virtualbox/labs" / lab));
}

TEST_CASE("[VBoxManage simulator] a taken SSH port is corrected at start") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto topo = test::make_topo("pc", 1);
  const std::string lab = "pc-000001";
  auto p = providers::make_virtualbox_provider(topo);
  p->prepare_lab(topo, lab);
  p->create(test::make_spec(topo, lab, "n1"), nullptr);
  int port = p->list(lab).at(0).ssh->port;
  // Another (simulated) VM already forwards that port and runs.
  env.sim({"createvm", "--name", "intruder", "--register"});
  env.sim({"modifyvm", "intruder", "--nic1", "nat", "--natpf1",
           fmt::format("web,tcp,127.0.0.1,{},,80", port)});
  REQUIRE(env.sim({"startvm", "intruder", "--type", "headless"}).exit_code == 0);

  p->start({lab, "n1"});
  auto m = p->list(lab).at(0);
  CHECK(m.state == MachineState::Running);
  REQUIRE(m.ssh);
  CHECK(m.ssh->port != port);
  MESSAGE("VBoxManage simulator: SSH port " << port << " was taken, corrected to " << m.ssh->port);
  CHECK(count_calls(env.call_log(), "startvm vmlab-" + lab + "-n1") == 2);
}

TEST_CASE("[VBoxManage simulator] lock-busy errors are retried") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto topo = test::make_topo("lb", 1);
  const std::string lab = "lb-000002";
  auto p = providers::make_virtualbox_provider(topo);
  p->prepare_lab(topo, lab);
  p->create(test::make_spec(topo, lab, "n1"), nullptr);
  setenv("VBOXSIM_LOCK_BUSY", "3", 1);
  p->start({lab, "n1"});  // fails 3 times with VBOX_E_INVALID_OBJECT_STATE, then starts
  unsetenv("VBOXSIM_LOCK_BUSY");
  CHECK(p->list(lab).at(0).state == MachineState::Running);
  CHECK(count_calls(env.call_log(), "startvm") == 4);
  // More failures than the wrapper's bound: a ProviderError naming the lock.
  setenv("VBOXSIM_LOCK_BUSY", "9", 1);
  CHECK_THROWS_WITH_AS(p->stop({lab, "n1"}, true, std::chrono::seconds(0)),
                       doctest::Contains("is already locked for a session"), ProviderError);
  unsetenv("VBOXSIM_LOCK_BUSY");
}

TEST_CASE("[VBoxManage simulator] a disallowed host-only range is refused before anything exists") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto topo = test::make_topo("far", 2, "10.10.0.0/24", 0x0A0A0000u);
  auto p = providers::make_virtualbox_provider(topo);
  CHECK_THROWS_WITH_AS(
      p->check(topo, "far-000003"),
      "network \"lab\" (10.10.0.0/24) is outside the host-only ranges VirtualBox allows "
      "(192.168.56.0/21); use a range inside them, or allow it with a line \"* 10.10.0.0/24\" "
      "in /etc/vbox/networks.conf",
      UsageError);
  CHECK(env.call_log() == "");  // not one VBoxManage call
  CHECK(env.vm_names().empty());
  // Allowed by networks.conf: accepted.
  auto conf = env.dir.write("networks.conf", "* 10.0.0.0/8 192.168.0.0/16\n");
  setenv("VMLAB_VBOX_NETWORKS_CONF", conf.c_str(), 1);
  CHECK_NOTHROW(p->check(topo, "far-000003"));
  unsetenv("VMLAB_VBOX_NETWORKS_CONF");
}

TEST_CASE("[VBoxManage simulator] the master stays while another lab uses it") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto ta = test::make_topo("a", 1);
  auto tb = test::make_topo("b", 1);
  auto pa = providers::make_virtualbox_provider(ta);
  auto pb = providers::make_virtualbox_provider(tb);
  pa->prepare_lab(ta, "a-00000a");
  pb->prepare_lab(tb, "b-00000b");
  // Same network address: the host-only interface is shared, not duplicated.
  CHECK(vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out).size() == 1);
  pa->create(test::make_spec(ta, "a-00000a", "n1"), nullptr);
  pb->create(test::make_spec(tb, "b-00000b", "n1"), nullptr);
  CHECK(count_calls(env.call_log(), "createvm") == 1);

  pa->destroy({"a-00000a", "n1"});
  pa->destroy_lab("a-00000a");
  auto names = env.vm_names();
  CHECK(std::count(names.begin(), names.end(), "vmlab-master-tiny") == 1);
  CHECK(vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out).size() == 1);
  CHECK(pb->list("b-00000b").size() == 1);

  pb->destroy({"b-00000b", "n1"});
  pb->destroy_lab("b-00000b");
  CHECK(env.vm_names().empty());
  CHECK(vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out).empty());
}

TEST_CASE("[VBoxManage simulator] VirtualBox 7 host-only networks and internal networks") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  setenv("VMLAB_VBOX_HOSTONLYNET", "1", 1);
  auto topo = test::make_topo("h7", 1);
  config::Network back;
  back.name = "back";
  back.cidr = "10.99.0.0/24";
  back.base = 0x0A630000u;
  back.prefix = 24;
  back.gateway = "10.99.0.1";
  back.internal = true;  // no host side: not range-checked, no host interface
  topo.networks.push_back(back);
  topo.nodes[0].addresses.push_back({"back", "10.99.0.5", 24});
  const std::string lab = "h7-000004";
  auto p = providers::make_virtualbox_provider(topo);
  p->check(topo, lab);
  p->prepare_lab(topo, lab);
  auto nets = vbox::parse_blocks(env.sim({"list", "hostonlynets"}).out);
  REQUIRE(nets.size() == 1);
  CHECK(nets[0]["Name"] == "vmlab-" + lab + "-lab");
  CHECK(nets[0]["LowerIP"] == "192.168.56.1");
  p->create(test::make_spec(topo, lab, "n1"), nullptr);
  auto info = vbox::parse_machinereadable(
      env.sim({"showvminfo", "vmlab-" + lab + "-n1", "--machinereadable"}).out);
  CHECK(info["nic2"] == "hostonlynetwork");
  CHECK(info["hostonly-network2"] == "vmlab-" + lab + "-lab");
  CHECK(info["nic3"] == "intnet");
  CHECK(info["intnet3"] == "vmlab-" + lab + "-back");
  p->destroy({lab, "n1"});
  p->destroy_lab(lab);
  CHECK(vbox::parse_blocks(env.sim({"list", "hostonlynets"}).out).empty());
  CHECK(vbox::parse_hostonlyifs(env.sim({"list", "hostonlyifs"}).out).empty());
  unsetenv("VMLAB_VBOX_HOSTONLYNET");
}

TEST_CASE("[VBoxManage simulator] version probe: too old is refused, newer accepted") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  setenv("VBOXSIM_VERSION", "6.0.24r139119", 1);
  vbox::VBoxManage old;
  CHECK(old.check_version().error() ==
        "VirtualBox 6.0.24r139119 is too old: vmlab needs 6.1 or newer");
  setenv("VBOXSIM_VERSION", "8.0.0r170000", 1);
  vbox::VBoxManage newer;
  CHECK(newer.check_version().ok());
  unsetenv("VBOXSIM_VERSION");
  setenv("VMLAB_VBOXMANAGE", "/nonexistent/VBoxManage", 1);
  vbox::VBoxManage missing;
  CHECK(missing.check_version().error().find("VirtualBox is not usable") == 0);
  // Undocumented syntax is refused by the simulator with VBoxManage's usage error.
  auto bad = env.sim({"createvm", "--name", "x", "--no-such-option", "1"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("Unknown option: --no-such-option") != std::string::npos);
}

TEST_CASE("[VBoxManage simulator] mount synced folders are permanent shared folders") {
  if (auto why = test::sim_skip_reason(); !why.empty()) {
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  }
  SimEnv env;
  auto topo = test::make_topo("sf", 1);
  const std::filesystem::path share = env.dir / "share";
  std::filesystem::create_directories(share);
  auto& syncs = topo.nodes[0].syncs;
  syncs.push_back({share, "/vmlab", config::SyncMode::Mount, {}});
  syncs.push_back({env.dir.path(), "/copied", config::SyncMode::Copy, {}});  // not shared
  syncs.push_back({share, "/again", config::SyncMode::Mount, {}});
  const std::string lab = "sf-a1b2c3";
  auto p = providers::make_virtualbox_provider(topo);
  REQUIRE(p->capabilities().sync_mount);
  p->prepare_lab(topo, lab);
  p->create(test::make_spec(topo, lab, "n1"), nullptr);
  auto info = vbox::parse_machinereadable(
      env.sim({"showvminfo", "vmlab-" + lab + "-n1", "--machinereadable"}).out);
  CHECK(info["SharedFolderNameMachineMapping1"] == "vmlab0");
  CHECK(info["SharedFolderPathMachineMapping1"] == share.string());
  CHECK(info["SharedFolderNameMachineMapping2"] == "vmlab2");
  CHECK(info.count("SharedFolderNameMachineMapping3") == 0);
  const auto m = p->sync_mount(topo.nodes[0], 2);
  CHECK(m.fstype == "vboxsf");
  CHECK(m.source == "vmlab2");
  // The simulator refuses what VirtualBox refuses: a second folder of that name.
  auto again = env.sim({"sharedfolder", "add", "vmlab-" + lab + "-n1", "--name", "vmlab0",
                        "--hostpath", share.string()});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("Shared folder named 'vmlab0' already exists") != std::string::npos);
  p->destroy({lab, "n1"});
  p->destroy_lab(lab);
}
