#pragma once
// The "vmlab" directory storage pool: box images uploaded once and shared by every lab,
// per-machine qcow2 overlays backed by them, and per-machine seed ISOs.
#include <filesystem>
#include <functional>
#include <string>

#include "boxes/box.hpp"
#include "providers/libvirt/virt.hpp"

namespace vmlab::providers::libvirt::storage {

inline constexpr const char* kPoolName = "vmlab";

// Target directory of the pool: $VMLAB_LIBVIRT_POOL_DIR, else /var/lib/libvirt/images/vmlab.
std::string pool_dir();

// Finds the pool, or defines, builds and starts it; starts it if inactive.
Result<virt::Pool> ensure_pool(virConnectPtr c);

// "box-<name>-<8 hex>.qcow2" (part "") or "box-<name>-<8 hex>-kernel" / "-initrd": the hex is
// a hash of the file's size and mtime, so a re-added box gets new volumes.
std::string box_volume_name(const boxes::Box& box, const std::string& part);

struct BoxVolumes {
  std::string disk_path;    // path of the box volume on the hypervisor host
  std::string kernel_path;  // "" if the box has no kernel
  std::string initrd_path;  // "" if none
};

// Makes sure the box's files are volumes of the pool, uploading what is missing. Serialised
// within the process; across processes, create-if-absent decides who uploads.
Result<BoxVolumes> ensure_box(virConnectPtr c, virStoragePoolPtr p, const boxes::Box& box,
                              const std::function<void(const std::string&)>& progress);

// (Re)creates volume `name` as a qcow2 overlay of `backing` (a qcow2 path), `capacity` bytes.
Result<virt::Volume> create_overlay(virStoragePoolPtr p, const std::string& name,
                                    const std::string& backing, unsigned long long capacity);

// (Re)creates raw volume `name` with the content of `file`. A driver that cannot upload
// (test://) leaves it empty, with a warning.
Result<virt::Volume> upload_volume(virConnectPtr c, virStoragePoolPtr p, const std::string& name,
                                   const std::filesystem::path& file);

// Deletes volume `name` if present.
Status delete_volume(virStoragePoolPtr p, const std::string& name);

// Deletes the volumes of box `box_name` (every fingerprint); returns how many went.
Result<int> delete_box_volumes(virStoragePoolPtr p, const std::string& box_name);

// Deletes every volume whose name starts with `prefix`; returns how many went.
Result<int> delete_volumes_with_prefix(virStoragePoolPtr p, const std::string& prefix);

}  // namespace vmlab::providers::libvirt::storage
