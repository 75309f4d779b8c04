#pragma once
// How vmlab and its users reach a lab's machines: the per-lab ed25519 key, the host keys vmlab
// generates per node and injects through the seed, the pinned known_hosts, the generated
// OpenSSH config (`vmssh`, `vmlab ssh-config`) and the SSH targets the communicator uses.
#include <map>
#include <string>

#include "cli/lab.hpp"
#include "communicator/ssh_target.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

// Creates the lab key and every node's host key if missing (idempotent), and writes the
// pinned known_hosts (by alias "vmlab-<lab_id>-<node>").
void ensure_keys(const cli::Lab& lab);

// The login user of a node: its box's `user` (vmlab by default).
std::string login_user(const config::Node& node);

// The keys a provider injects into a node's seed.
providers::MachineKeys machine_keys(const cli::Lab& lab, const config::Node& node);

// The host-key alias used in known_hosts and ssh_config.
std::string host_alias(const cli::Lab& lab, const std::string& node);

// The communicator's target for a node at `ep`, with the pinned host key.
communicator::SshTarget ssh_target(const cli::Lab& lab, const config::Node& node,
                                   const providers::SshEndpoint& ep);

// An OpenSSH client config for the given nodes and endpoints: one Host block per node with
// the lab key, the pinned host key (HostKeyAlias + UserKnownHostsFile, StrictHostKeyChecking
// yes) and IdentitiesOnly.
std::string ssh_config_text(const cli::Lab& lab,
                            const std::map<std::string, providers::SshEndpoint>& endpoints);

// Endpoints of the running machines, from the provider (throws if `node` given and not running).
std::map<std::string, providers::SshEndpoint> running_endpoints(cli::Lab& lab);

}  // namespace vmlab::executor
