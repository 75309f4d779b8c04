#pragma once
// The libvirt provider (C API): qcow2 overlays on a "vmlab" storage pool, a NoCloud seed ISO
// per machine, a NAT management network per lab plus one isolated network per [[network]].
// Every object is named "vmlab-<lab_id>-...". See docs/libvirt.md.
#include <memory>
#include <string>

#include "providers/provider.hpp"

namespace vmlab::providers {

// Connection URI: topo.libvirt.uri, else $VMLAB_LIBVIRT_URI, else qemu:///system.
// Connects lazily (on the first call that needs libvirt).
std::unique_ptr<Provider> make_libvirt_provider(const config::Topology& topo);

// The URI make_libvirt_provider would use for `topo_uri` ("" = the environment's/default).
std::string libvirt_uri(const std::string& topo_uri);

// Deletes the volumes uploaded for box `name` from the "vmlab" pool (used by `box remove`).
// Returns how many went; throws ProviderError when libvirt cannot be reached.
int remove_libvirt_box_volumes(const std::string& name, const std::string& uri);

// The table's box hook (registry.hpp): remove_libvirt_box_volumes on the default URI.
std::string forget_libvirt_box(const std::string& name);

// The table's library line (registry.hpp): "libvirt 9.0.0 (compiled against 9.0.0)".
std::string libvirt_library_version();

}  // namespace vmlab::providers
