// The seed's facts: MACs, NICs, /etc/hosts and the NoCloud files (meta-data, user-data,
// network-config, vmlab/*). Pure functions of their inputs.
#include "core/text_util.hpp"
#include "seed/seed.hpp"

#include <fmt/format.h>

#include "seed/yaml.hpp"

namespace vmlab::seed {
namespace {

using util::fnv1a;

std::string meta_data(const Input& in) {
  return fmt::format("instance-id: {}\nlocal-hostname: {}\n",
                     yaml::quote("vmlab-" + in.lab_id + "-" + in.node), yaml::quote(in.node));
}

std::string user_data(const Input& k) {
  std::string out = "#cloud-config\n";
  out += fmt::format("hostname: {}\n", yaml::quote(k.node));
  out += "preserve_hostname: false\nmanage_etc_hosts: false\n";
  if (k.user.empty() || k.user == "root") {
    out += "users: []\n";
  } else {
    out += "users:\n";
    out += fmt::format("  - name: {}\n", yaml::quote(k.user));
    out += "    shell: \"/bin/bash\"\n";
    out += "    sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n";
    out += "    lock_passwd: true\n";
    out += fmt::format("    ssh_authorized_keys:\n      - {}\n", yaml::quote(k.authorized_key));
  }
  // Root gets the key too (disable_root: false), which is the login when the user is root.
  out += "disable_root: false\n";
  out += fmt::format("ssh_authorized_keys:\n  - {}\n", yaml::quote(k.authorized_key));
  out += "ssh_pwauth: false\nssh_deletekeys: true\n";
  out += "ssh_keys:\n";
  out += fmt::format("  ed25519_private: {}\n", yaml::text(k.host_key_private, 2));
  out += fmt::format("  ed25519_public: {}\n", yaml::quote(k.host_key_public));
  // Only the modules the lab needs (docs/design-decisions.md, "Only the cloud-init modules the
  // lab needs"): the box's own lists also run locale, grub-dpkg, apt, ntp, ca-certs, rsyslog...
  // for nothing, seconds in all under TCG, before sshd (init) or before the steps (config).
  out +=
      "cloud_init_modules: [write_files, growpart, resizefs, set_hostname, update_hostname, "
      "users_groups, ssh]\n";
  out += "cloud_config_modules: [set_passwords]\n";
  out += "write_files:\n";
  out += "  - path: \"/etc/hosts\"\n    owner: \"root:root\"\n    permissions: \"0644\"\n";
  out += fmt::format("    content: {}\n", yaml::text(k.hosts_file, 4));
  return out;
}

std::string network_config(const std::vector<Nic>& nics) {
  std::string out = "version: 2\nethernets:\n";
  for (size_t i = 0; i < nics.size(); ++i) {
    out += fmt::format("  nic{}:\n    match:\n      macaddress: {}\n", i, yaml::quote(nics[i].mac));
    // Lab networks send no router advertisements. Where the renderer honours this (netplan, ENI;
    // not cloud-init 22.4's networkd for static NICs), wait-online stops waiting ~12 s for them
    // (docs/design-decisions.md, "accept-ra: false").
    out += "    accept-ra: false\n";
    if (nics[i].address.empty()) {
      out += "    dhcp4: true\n";
    } else {
      out += "    dhcp4: false\n";
      out += fmt::format("    addresses:\n      - {}\n", yaml::quote(nics[i].address));
    }
  }
  return out;
}

std::string interfaces(const std::vector<Nic>& nics) {
  std::string out;
  for (const auto& n : nics) out += n.mac + " " + (n.address.empty() ? "dhcp" : n.address) + "\n";
  return out;
}

}  // namespace

std::string mac_for(const std::string& lab_id, const std::string& node, int index) {
  std::uint64_t h = fnv1a(fmt::format("{}\n{}\n{}", lab_id, node, index));
  return fmt::format("52:54:00:{:02x}:{:02x}:{:02x}", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

std::vector<Nic> nics_for(const std::string& lab_id, const config::Node& node) {
  std::vector<Nic> nics;
  nics.push_back({mac_for(lab_id, node.name, 0), "", "mgmt"});
  int i = 1;
  for (const auto& a : node.addresses)
    nics.push_back(
        {mac_for(lab_id, node.name, i++), fmt::format("{}/{}", a.ip, a.prefix), a.network});
  return nics;
}

std::string hosts_file(const config::Topology& topo) {
  std::string out =
      "127.0.0.1 localhost\n"
      "::1 localhost ip6-localhost ip6-loopback\n"
      "ff02::1 ip6-allnodes\n"
      "ff02::2 ip6-allrouters\n";
  bool first = true;
  for (const auto& n : topo.nodes) {
    if (!topo.hosts || n.addresses.empty()) continue;
    if (first) out += "\n# vmlab lab " + topo.name + "\n";
    first = false;
    out += n.addresses.front().ip + " " + n.name + "\n";
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> render_files(const Input& k,
                                                              const std::vector<Nic>& nics) {
  return {
      {"meta-data", meta_data(k)},
      {"user-data", user_data(k)},
      {"network-config", network_config(nics)},
      {"vmlab/hostname", k.node + "\n"},
      {"vmlab/user", (k.user.empty() ? std::string("root") : k.user) + "\n"},
      {"vmlab/authorized_keys", k.authorized_key + "\n"},
      {"vmlab/ssh_host_ed25519_key", k.host_key_private},
      {"vmlab/ssh_host_ed25519_key.pub", k.host_key_public + "\n"},
      {"vmlab/interfaces", interfaces(nics)},
      {"vmlab/hosts", k.hosts_file},
  };
}

}  // namespace vmlab::seed
