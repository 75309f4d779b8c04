#pragma once
// Test fixture for the VirtualBox provider against the VBoxManage SIMULATOR
// (tests/vboxmanage-sim/VBoxManage, written from the VirtualBox manual; not VirtualBox).
// Each SimEnv has its own temp dir: VMLAB_HOME (box store + provider data), the simulator's
// state file and call log. A tiny qcow2 box "tiny" is installed.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "providers/provider.hpp"
#include "providers/virtualbox/vbox_parse.hpp"
#include "providers/virtualbox/vboxmanage.hpp"
#include "testutil.hpp"

namespace vmlab::test {

inline std::string sim_path() {
  return std::string(VMLAB_TESTS_DIR) + "/vboxmanage-sim/VBoxManage";
}

// Why the simulator tests cannot run here, or "" if they can.
inline std::string sim_skip_reason() {
  if (!vbox::run_program("python3", {"-c", "pass"})) return "python3 is not installed";
  if (!vbox::run_program("qemu-img", {"--version"})) return "qemu-img is not installed";
  return "";
}

class SimEnv {
 public:
  SimEnv() {
    setenv("VMLAB_HOME", (dir / "data").c_str(), 1);
    setenv("VBOXSIM_STATE", (dir / "sim/state.json").c_str(), 1);
    setenv("VBOXSIM_LOG", (dir / "sim-calls.log").c_str(), 1);
    setenv("VMLAB_VBOXMANAGE", sim_path().c_str(), 1);
    setenv("VBOXSIM_DELAY", "0.3", 1);
    unsetenv("VBOXSIM_IGNORE_ACPI");
    unsetenv("VBOXSIM_LOCK_BUSY");
    unsetenv("VMLAB_VBOX_HOSTONLYNET");
    unsetenv("VMLAB_VBOX_NETWORKS_CONF");
    auto box = dir.path() / "data/boxes/tiny";
    std::filesystem::create_directories(box);
    auto r = vbox::run_program("qemu-img",
                               {"create", "-f", "qcow2", (box / "box.qcow2").string(), "64M"});
    REQUIRE(r);
    REQUIRE(r.value().exit_code == 0);
    dir.write("data/boxes/tiny/box.json",
              R"({"format":"qcow2","user":"root","seed":"vmlab-init"})");
  }

  // Runs the simulator directly (what a user would do behind vmlab's back).
  vbox::CallOutput sim(const std::vector<std::string>& args) {
    auto r = vbox::run_program(sim_path(), args);
    REQUIRE(r);
    return r.value();
  }
  std::vector<std::string> vm_names() {
    std::vector<std::string> out;
    for (auto& v : vbox::parse_list_vms(sim({"list", "vms"}).out)) out.push_back(v.name);
    return out;
  }
  std::string call_log() {
    std::ifstream f(dir / "sim-calls.log");
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }

  TempDir dir;
};

// A lab of `n` nodes "n1".."nN" on box "tiny" with one network (192.168.56.0/24 by default).
inline config::Topology make_topo(const std::string& name, int n,
                                  const std::string& cidr = "192.168.56.0/24",
                                  std::uint32_t base = 0xC0A83800u) {
  config::Topology t;
  t.name = name;
  t.provider = "virtualbox";
  config::Network net;
  net.name = "lab";
  net.cidr = cidr;
  net.base = base;
  net.prefix = 24;
  net.gateway = fmt::format("{}.{}.{}.1", base >> 24, (base >> 16) & 255, (base >> 8) & 255);
  t.networks.push_back(net);
  for (int i = 1; i <= n; ++i) {
    config::Node node;
    node.name = "n" + std::to_string(i);
    node.box = "tiny";
    node.cpus = 1;
    node.memory_mib = 256;
    node.addresses.push_back(
        {"lab",
         fmt::format("{}.{}.{}.{}", base >> 24, (base >> 16) & 255, (base >> 8) & 255, 10 + i),
         24});
    t.nodes.push_back(node);
  }
  return t;
}

inline providers::MachineSpec make_spec(const config::Topology& t, const std::string& lab_id,
                                        const std::string& node) {
  providers::MachineSpec s;
  s.topo = &t;
  s.node = t.find_node(node);
  s.ref = {lab_id, s.node->name};
  s.keys = {"root", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest vmlab", "PRIVATE",
            "ssh-ed25519 AAAAhost"};
  s.hosts_file = "127.0.0.1 localhost\n";
  return s;
}

inline std::map<std::string, providers::MachineInfo> by_name(
    const std::vector<providers::MachineInfo>& v) {
  std::map<std::string, providers::MachineInfo> m;
  for (const auto& i : v) m[i.name] = i;
  return m;
}

}  // namespace vmlab::test
