#pragma once
// Where the VirtualBox provider keeps its files, and the names it gives VirtualBox objects.
//   <data>/virtualbox/labs/<lab_id>/lab.json   lab networks -> host-only interfaces, boxes used
//   <data>/virtualbox/labs/<lab_id>/seed/<node>.iso  cloud-init NoCloud seed (DVD)
//   <data>/virtualbox/labs/<lab_id>/console/<node>.log  UART1 log (console_tail)
//   <data>/virtualbox/labs.lock             serialises lab records and host-only interfaces
//   <box dir>/virtualbox/box.vdi, master.lock        the converted box and its import lock
#include <filesystem>
#include <string>

#include "state/filenames.hpp"

namespace vmlab::vbox::paths {
namespace fs = std::filesystem;

inline fs::path provider_dir() {
  return filenames::data_dir() / "virtualbox";
}
inline fs::path labs_dir() {
  return provider_dir() / "labs";
}
inline fs::path lab_dir(const std::string& lab_id) {
  return labs_dir() / lab_id;
}
inline fs::path lab_record(const std::string& lab_id) {
  return lab_dir(lab_id) / "lab.json";
}
inline fs::path labs_lock() {
  return provider_dir() / "labs.lock";
}
inline fs::path seed_iso(const std::string& lab_id, const std::string& node) {
  return lab_dir(lab_id) / "seed" / (node + ".iso");
}
inline fs::path console_log(const std::string& lab_id, const std::string& node) {
  return lab_dir(lab_id) / "console" / (node + ".log");
}
inline fs::path box_vbox_dir(const fs::path& box_dir) {
  return box_dir / "virtualbox";
}

// VirtualBox object names: every one carries the lab id, so two labs never collide.
inline std::string vm_name(const std::string& lab_id, const std::string& node) {
  return "vmlab-" + lab_id + "-" + node;
}
inline std::string vm_prefix(const std::string& lab_id) {
  return "vmlab-" + lab_id + "-";
}
inline std::string master_name(const std::string& box) {
  return "vmlab-master-" + box;
}
inline std::string network_name(const std::string& lab_id, const std::string& net) {
  return "vmlab-" + lab_id + "-" + net;
}
// The shared folder of node.syncs[index] (a `mount` sync): "vmlab<index>".
inline std::string shared_folder_name(std::size_t index) {
  return "vmlab" + std::to_string(index);
}
inline constexpr const char* kMasterPrefix = "vmlab-master-";
inline constexpr const char* kBaseSnapshot = "base";
inline constexpr const char* kSshPortKey = "vmlab/ssh_port";
inline constexpr const char* kBoxKey = "vmlab/box";
inline constexpr const char* kProjectKey = "vmlab/project";  // the lab's project directory

}  // namespace vmlab::vbox::paths
