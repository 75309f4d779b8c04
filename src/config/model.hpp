#pragma once
// The resolved lab topology: what every later stage (plan, providers, provisioners) reads.
// Produced by config::load() = parse (parse.cpp) -> defaults (defaults.cpp) -> validate
// (validate.cpp). Nothing here is optional: "unset" only exists in the raw form (raw.hpp).
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace vmlab::config {

// Where a value came from in the Vmfile (1-based; 0 = not from the file, e.g. a default).
struct SourcePos {
  int line = 0;
  int col = 0;
};

struct Network {
  std::string name;
  std::string cidr;        // as written, normalised: "192.168.56.0/24"
  std::uint32_t base = 0;  // network address, host byte order
  int prefix = 0;
  std::string gateway;     // first usable address (".1"): host side of the network
  bool internal = false;   // no host side at all (VirtualBox "intnet"); default host-only
};

struct Address {
  std::string network;  // Network::name
  std::string ip;       // "192.168.56.10"
  int prefix = 0;       // from the network
};

struct Forward {
  int guest = 0;
  int host = 0;
  std::string protocol = "tcp";       // "tcp" | "udp"
  std::string host_ip = "127.0.0.1";  // the host address it is bound on (IPv4)
  SourcePos pos;                      // of the forward's table in the Vmfile
};

enum class RunPolicy { Once, Always };

// A synced folder ([[node.sync]] / [[defaults.sync]]): a host directory seen in the guest.
// Mount: live, both ways, through the provider (Capabilities::sync_mount). Copy: pushed over
// SSH at every up/provision, only files whose digest differs (executor/sync.cpp).
enum class SyncMode { Mount, Copy };
const char* to_string(SyncMode m);  // "mount" | "copy"

struct SyncFolder {
  std::filesystem::path host;  // absolute, normalised (no trailing '/'); an existing directory
  std::string guest;           // absolute guest path
  SyncMode mode = SyncMode::Mount;
  SourcePos pos;
};

struct StepSettings;  // step_type.hpp: the type-specific part, declared by the provisioner

// One provisioning step: what every step has, plus its type's settings.
struct ProvisionStep {
  std::string name;  // unique within the node; default "<type>" or "<type>-<n>" (see provision.cpp)
  std::string type;  // a type of the provisioner table (provisioners/registry.cpp)
  RunPolicy run = RunPolicy::Once;
  // Edges: "node" (that node fully provisioned) or "node:step" (that step done).
  // Explicit ones from the Vmfile plus derived ones (kubernetes workers -> control plane).
  std::vector<std::string> after;
  // Never null after load(); the provisioner of `type` knows its concrete type.
  std::shared_ptr<const StepSettings> settings;
  SourcePos pos;

  // The settings as the provisioner's own type. Throws std::bad_cast on a mismatch.
  template <typename T>
  const T& as() const {
    return dynamic_cast<const T&>(*settings);
  }
};

struct Node {
  std::string name;
  std::string box;
  int cpus = 1;
  std::uint64_t memory_mib = 0;
  std::uint64_t disk_mib = 0;
  std::vector<Address> addresses;  // one per lab network the node is on
  std::vector<Forward> forwards;
  std::vector<ProvisionStep> provision;
  std::vector<SyncFolder> syncs;  // [[defaults.sync]] entries first, then the node's own
  std::string group;  // the `[[node]]` name template it came from ("w{i}-k8s"), else == name
  int index = 0;      // 1-based member number within its group (0 if not a group)
  SourcePos pos;
};

// A box the Vmfile says where to fetch: `box = { name, url, sha256 }` on a node or in
// [defaults]. `up` downloads and installs it when no box of that name is installed.
struct BoxSource {
  std::string name;
  std::string url;     // http://, https:// or file://
  std::string sha256;  // 64 lower-case hex digits
  SourcePos pos;
};

struct LibvirtSettings {
  std::string uri;  // empty = VMLAB_LIBVIRT_URI, else qemu:///system
};

struct Topology {
  std::string name;      // lab name
  std::string provider;  // "libvirt" | "virtualbox"
  std::filesystem::path vmfile;       // absolute path of the Vmfile
  std::filesystem::path project_dir;  // its directory; .vmlab/ lives here
  bool hosts = true;
  std::map<std::string, std::string> vars;
  std::vector<Network> networks;
  std::vector<Node> nodes;  // expanded (groups unrolled), in file order
  LibvirtSettings libvirt;
  std::vector<BoxSource> box_sources;  // one per box name, in file order

  const BoxSource* find_box_source(const std::string& box) const {
    for (const auto& b : box_sources)
      if (b.name == box) return &b;
    return nullptr;
  }

  const Node* find_node(const std::string& n) const {
    for (const auto& node : nodes)
      if (node.name == n) return &node;
    return nullptr;
  }
};

}  // namespace vmlab::config
