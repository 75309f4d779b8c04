#pragma once
// The per-machine NoCloud seed (an ISO9660 image labelled "cidata"), identical for every
// provider so the same Vmfile boots the same lab anywhere. It carries the standard cloud-init
// files and, under vmlab/, the same facts as plain files for the test box's tiny init:
//   meta-data        instance-id, local-hostname
//   user-data        #cloud-config: login user + lab key + NOPASSWD sudo, injected host key
//                    (ssh_keys), no password auth, /etc/hosts for the whole lab
//   network-config   version 2: management NIC dhcp4, lab NICs static, matched by MAC
//   vmlab/hostname, vmlab/authorized_keys, vmlab/ssh_host_ed25519_key, vmlab/interfaces
//   ("MAC dhcp" | "MAC A.B.C.D/NN" per line), vmlab/hosts
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vmlab::seed {

// What the seed says about one machine. Providers fill it from their MachineSpec; the seed
// knows nothing of providers.
struct Input {
  std::string lab_id;            // "<name>-<6 hex>" (instance-id "vmlab-<lab_id>-<node>")
  std::string node;              // node name = the guest's hostname
  std::string user;              // login user ("" or "root": no user is created)
  std::string authorized_key;    // OpenSSH one-line public key (per-lab ed25519)
  std::string host_key_private;  // OpenSSH private key file content (ed25519)
  std::string host_key_public;   // its one-line public key
  std::string hosts_file;        // full /etc/hosts content
};

// One NIC of a machine, in the order the provider attaches them (management NIC first).
struct Nic {
  std::string mac;      // "52:54:00:12:34:56" (lower case)
  std::string address;  // "" = DHCP, else "A.B.C.D/NN"
  std::string network;  // lab network name, or "mgmt"
};

// Deterministic locally administered MAC (QEMU's 52:54:00 OUI) for NIC `index` of `node` in
// lab `lab_id`: the same inputs always give the same MAC, different nodes differ.
std::string mac_for(const std::string& lab_id, const std::string& node, int index);

// The NICs of a machine: management first (DHCP), then one per Address of the node.
std::vector<Nic> nics_for(const std::string& lab_id, const config::Node& node);

// Renders the seed's files (name -> content), e.g. {"meta-data", ...}, {"vmlab/hostname", ...}.
std::vector<std::pair<std::string, std::string>> render_files(const Input& in,
                                                             const std::vector<Nic>& nics);

// /etc/hosts for a lab: localhost lines, then every node's first private address and name.
// Never maps a node's own name to 127.0.x.1.
std::string hosts_file(const config::Topology& topo);

// Writes `files` as an ISO9660 (+Rock Ridge, +Joliet) image labelled "cidata" to `out`
// atomically (temp + rename). Throws vmlab::Error on failure.
void write_iso(const std::filesystem::path& out,
               const std::vector<std::pair<std::string, std::string>>& files);

// The ISO library write_iso uses, as linked: "libisofs 1.5.4" (no xorriso program needed).
std::string iso_library();

}  // namespace vmlab::seed
