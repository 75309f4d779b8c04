#pragma once
// What the libvirt provider tells `vmlab ls` and `vmlab doctor` (provider.hpp: list_labs,
// diagnose), over the seam in virt.hpp.
#include <string>
#include <vector>

#include "providers/libvirt/virt.hpp"
#include "providers/provider.hpp"

namespace vmlab::providers::libvirt {

// A virDomainState as the contract's MachineState.
MachineState to_machine_state(int virDomainState);

// Every vmlab lab of the connection: its domains (lab, node and project from the metadata,
// else from the name) and labs that only have networks left. One list call for domains and
// one for networks, then one metadata and one state call per vmlab domain.
std::vector<LabListing> list_labs(virConnectPtr c);

// Where the libvirt daemon for `uri` runs, in words: "network namespace vmlab-e2e (libvirtd
// pid 123)", "the root network namespace", or "" when it cannot be told (remote, test://).
// `route_table` gets /proc/<daemon pid>/net/route when the daemon is local and known.
std::string daemon_namespace(const std::string& uri, std::string* route_table);

// The doctor's findings for `uri`; `c` is null when the connection failed with
// `connect_error`.
HostReport diagnose(const std::string& uri, virConnectPtr c, const std::string& connect_error,
                    const config::Topology* topo, const std::string& lab_id);

}  // namespace vmlab::providers::libvirt
