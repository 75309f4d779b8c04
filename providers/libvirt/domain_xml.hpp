#pragma once
// The libvirt domain XML of one machine, and the vmlab metadata stored inside it. Pure
// functions of their inputs (unit-tested by text).
#include <optional>
#include <string>
#include <vector>

namespace vmlab::providers::libvirt {

// Namespace of vmlab's <metadata> element in every domain it defines.
inline constexpr const char* kMetadataNs = "https://vmlab.dev/xmlns/libvirt/1";

struct NicDef {
  std::string mac;      // "52:54:00:.."
  std::string network;  // libvirt network name
};

// A host directory shared with the guest over virtio-9p (a `mount` synced folder).
struct FilesystemDef {
  std::string source_dir;  // absolute host path
  std::string tag;         // the guest's mount tag: sync_tag(index)
};

// The 9p mount tag of node.syncs[index]: "vmlab<index>" (short: tags have a length limit).
std::string sync_tag(std::size_t index);

struct DomainDef {
  std::string name;           // "vmlab-<lab_id>-<node>"
  std::string type = "qemu";  // "kvm" | "qemu"
  std::string lab_id;
  std::string node;
  std::string project_dir;  // the lab's project directory (`vmlab ls` reads it back)
  int vcpus = 1;
  unsigned long long memory_mib = 512;
  std::string kernel;  // absolute path on the hypervisor host ("" = boot from disk)
  std::string initrd;  // "" = none
  std::string cmdline;
  std::string pool;         // storage pool of the volumes below
  std::string disk_volume;  // the qcow2 overlay
  std::string seed_volume;  // the cidata ISO ("" = none)
  std::string disk_cache = "writeback";
  std::vector<NicDef> nics;  // management NIC first
  std::vector<FilesystemDef> filesystems;
  std::string console_log;   // serial log file ("" = none)
  std::string ssh_host;      // recorded in the metadata
  int ssh_port = 22;
};

std::string domain_xml(const DomainDef& d);

// What list() and list_labs() need, read back from the metadata element (as virDomainGetMetadata
// returns it).
struct DomainMeta {
  std::string lab_id;
  std::string node;
  std::string ssh_host;
  int ssh_port = 22;
  std::string project_dir;  // "" in domains defined before vmlab recorded it
};
std::optional<DomainMeta> parse_metadata(const std::string& element);

}  // namespace vmlab::providers::libvirt
