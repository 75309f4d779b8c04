// Seed: MAC stability, NICs, /etc/hosts, rendered cloud-init files, and the ISO read back.
#include "seed/seed.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <set>

#include "seed/yaml.hpp"
#include "testutil.hpp"

using namespace vmlab;

namespace {

config::Topology lab() {
  config::Topology t;
  t.name = "k8s";
  t.networks.push_back({"lab", "192.168.56.0/24", 0xc0a83800, 24, "192.168.56.1"});
  for (auto [name, ip] : {std::pair{"m-k8s", "192.168.56.10"}, {"w1-k8s", "192.168.56.101"}}) {
    config::Node n;
    n.name = name;
    n.addresses.push_back({"lab", ip, 24});
    t.nodes.push_back(n);
  }
  return t;
}

seed::Input spec_for(const config::Topology& t, const std::string& user) {
  seed::Input s;
  s.lab_id = "k8s-a1b2c3";
  s.node = t.nodes[0].name;
  s.user = user;
  s.authorized_key = "ssh-ed25519 AAAAlabkey vmlab";
  s.host_key_private =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\n";
  s.host_key_public = "ssh-ed25519 AAAAhostkey";
  s.hosts_file = seed::hosts_file(t);
  return s;
}

std::string file_of(const std::vector<std::pair<std::string, std::string>>& files,
                    const std::string& name) {
  for (const auto& [n, c] : files)
    if (n == name) return c;
  FAIL("no file " << name);
  return "";
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

}  // namespace

TEST_CASE("mac_for is stable, QEMU-prefixed and distinct per node and index") {
  auto a = seed::mac_for("k8s-a1b2c3", "m-k8s", 0);
  CHECK(a == seed::mac_for("k8s-a1b2c3", "m-k8s", 0));
  CHECK(a.rfind("52:54:00:", 0) == 0);
  CHECK(a.size() == 17);
  std::set<std::string> macs;
  for (const char* node : {"m-k8s", "w1-k8s", "w2-k8s", "w3-k8s"})
    for (int i = 0; i < 3; ++i) macs.insert(seed::mac_for("k8s-a1b2c3", node, i));
  CHECK(macs.size() == 12);
  CHECK(seed::mac_for("k8s-ffffff", "m-k8s", 0) != a);
}

TEST_CASE("nics_for puts the management NIC first, then the lab addresses") {
  auto t = lab();
  auto nics = seed::nics_for("k8s-a1b2c3", t.nodes[0]);
  REQUIRE(nics.size() == 2);
  CHECK(nics[0].network == "mgmt");
  CHECK(nics[0].address == "");
  CHECK(nics[1].network == "lab");
  CHECK(nics[1].address == "192.168.56.10/24");
  CHECK(nics[1].mac == seed::mac_for("k8s-a1b2c3", "m-k8s", 1));
}

TEST_CASE("hosts_file lists every node and never maps a node name to 127.0.x.1") {
  auto t = lab();
  auto hosts = seed::hosts_file(t);
  CHECK(hosts ==
        "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\n"
        "ff02::2 ip6-allrouters\n\n# vmlab lab k8s\n192.168.56.10 m-k8s\n192.168.56.101 w1-k8s\n");
  CHECK(hosts.find("127.0.1.1") == std::string::npos);
  t.hosts = false;
  CHECK(seed::hosts_file(t).find("m-k8s") == std::string::npos);
}

TEST_CASE("yaml quoting escapes structure characters") {
  CHECK(seed::yaml::quote("a\"b\\c\nd") == "\"a\\\"b\\\\c\\nd\"");
  CHECK(seed::yaml::quote("x: y # z") == "\"x: y # z\"");
  CHECK(seed::yaml::text("a\nb\n", 2) == "|\n    a\n    b");
  CHECK(seed::yaml::text("a\nb", 2) == "|-\n    a\n    b");
  CHECK(seed::yaml::text(" lead\n", 2) == "\" lead\\n\"");
  CHECK(seed::yaml::text("one line", 2) == "\"one line\"");
}

TEST_CASE("render_files: cloud-init user, keys, host key, hosts, network-config") {
  auto t = lab();
  auto spec = spec_for(t, "vmlab");
  auto nics = seed::nics_for(spec.lab_id, t.nodes[0]);
  auto files = seed::render_files(spec, nics);
  CHECK(file_of(files, "meta-data") ==
        "instance-id: \"vmlab-k8s-a1b2c3-m-k8s\"\nlocal-hostname: \"m-k8s\"\n");
  auto ud = file_of(files, "user-data");
  CHECK(ud.rfind("#cloud-config\n", 0) == 0);
  CHECK(ud.find("users:\n  - name: \"vmlab\"\n") != std::string::npos);
  CHECK(ud.find("    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n") != std::string::npos);
  CHECK(ud.find("      - \"ssh-ed25519 AAAAlabkey vmlab\"\n") != std::string::npos);
  CHECK(ud.find("ssh_pwauth: false\nssh_deletekeys: true\n") !=
        std::string::npos);
  CHECK(ud.find("  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3BlbnNzaA==\n"
                "    -----END OPENSSH PRIVATE KEY-----\n") != std::string::npos);
  CHECK(ud.find("  ed25519_public: \"ssh-ed25519 AAAAhostkey\"\n") != std::string::npos);
  CHECK(ud.find("manage_etc_hosts: false\n") != std::string::npos);
  // Only the modules the lab needs; set_passwords applies ssh_pwauth: false.
  CHECK(ud.find("cloud_init_modules: [write_files, growpart, resizefs, set_hostname, "
                "update_hostname, users_groups, ssh]\n") != std::string::npos);
  CHECK(ud.find("cloud_config_modules: [set_passwords]\n") != std::string::npos);
  CHECK(ud.find("    content: |\n      127.0.0.1 localhost\n") != std::string::npos);
  CHECK(ud.find("      192.168.56.101 w1-k8s\n") != std::string::npos);
  auto nc = file_of(files, "network-config");
  CHECK(nc ==
        "version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: \"" + nics[0].mac +
            "\"\n    accept-ra: false\n    dhcp4: true\n  nic1:\n    match:\n      macaddress: \"" +
            nics[1].mac +
            "\"\n    accept-ra: false\n    dhcp4: false\n    addresses:\n      - "
            "\"192.168.56.10/24\"\n");
  CHECK(file_of(files, "vmlab/interfaces") ==
        nics[0].mac + " dhcp\n" + nics[1].mac + " 192.168.56.10/24\n");
  CHECK(file_of(files, "vmlab/hostname") == "m-k8s\n");
  CHECK(file_of(files, "vmlab/hosts") == spec.hosts_file);
}

TEST_CASE("render_files: a root login creates no user and gives root the key") {
  auto t = lab();
  auto files = seed::render_files(spec_for(t, "root"), {});
  auto ud = file_of(files, "user-data");
  CHECK(ud.find("users: []\n") != std::string::npos);
  CHECK(ud.find("- name:") == std::string::npos);
  CHECK(ud.find(
            "disable_root: false\nssh_authorized_keys:\n  - \"ssh-ed25519 AAAAlabkey vmlab\"\n") !=
        std::string::npos);
}

TEST_CASE("write_iso writes a cidata ISO whose files read back identically") {
  if (run("command -v xorriso").empty()) {
    VMLAB_SKIP("xorriso is not installed; cannot read the ISO back");
  }
  test::TempDir tmp;
  auto t = lab();
  auto spec = spec_for(t, "vmlab");
  auto files = seed::render_files(spec, seed::nics_for(spec.lab_id, t.nodes[0]));
  auto iso = tmp / "seed.iso";
  seed::write_iso(iso, files);
  REQUIRE(std::filesystem::exists(iso));
  auto pvd = run("xorriso -indev '" + iso.string() + "' -pvd_info 2>&1");
  CHECK(pvd.find("Volume Id    : cidata") != std::string::npos);
  auto out = tmp / "x";
  run("xorriso -osirrox on -indev '" + iso.string() + "' -extract / '" + out.string() +
      "' >/dev/null 2>&1");
  for (const auto& [name, content] : files) {
    std::ifstream f(out / name, std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    CHECK_MESSAGE(got == content, name);
  }
  auto toc = run("xorriso -indev '" + iso.string() + "' -toc 2>&1");
  CHECK(toc.find("ISO offers   : Rock_Ridge Joliet") != std::string::npos);
}
