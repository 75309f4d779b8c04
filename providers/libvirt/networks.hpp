#pragma once
// The libvirt networks of a lab (provider level: throws UsageError / ProviderError).
//   vmlab-<lab_id>-mgmt    NAT + DHCP, one fixed host entry per machine (SSH goes there)
//   vmlab-<lab_id>-<name>  isolated, one per [[network]]
#include <string>

#include "config/model.hpp"
#include "providers/libvirt/virt.hpp"

namespace vmlab::providers::libvirt::networks {

std::string prefix(const std::string& lab_id);  // "vmlab-<lab_id>-"
std::string mgmt_name(const std::string& lab_id);
std::string lab_name(const std::string& lab_id, const std::string& network);

// Throws UsageError when a lab network is named "mgmt" (reserved) or when its CIDR overlaps
// a libvirt network that is not this lab's, naming that network.
void check_ranges(virConnectPtr c, const config::Topology& topo, const std::string& lab_id);

// Defines and starts what is missing; keeps what exists (starting it if inactive).
void ensure(virConnectPtr c, const config::Topology& topo, const std::string& lab_id);

// The management address of a machine: its DHCP host entry (by MAC), added if missing.
std::string ensure_mgmt_host(virConnectPtr c, const std::string& lab_id, const std::string& node,
                             const std::string& mac);

// Stops and undefines every network of the lab. Idempotent.
void remove_all(virConnectPtr c, const std::string& lab_id);

}  // namespace vmlab::providers::libvirt::networks
