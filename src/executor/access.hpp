#pragma once
// How vmlab and its users reach a lab's machines, in lab terms: the key files and the
// OpenSSH config are made by communicator/lab_access.hpp; this adds what the lab knows (its
// nodes, their boxes' login users, the provider's endpoints).
#include <map>
#include <string>

#include "communicator/ssh_target.hpp"
#include "lab/lab.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

// Creates the lab key and every node's host key if missing (idempotent), and writes the
// pinned known_hosts (by alias "vmlab-<lab_id>-<node>").
void ensure_keys(const lab::Lab& lab);

// The login user of a node: its box's `user` (vmlab by default).
std::string login_user(const config::Node& node);

// The keys a provider injects into a node's seed.
providers::MachineKeys machine_keys(const lab::Lab& lab, const config::Node& node);

// The host-key alias used in known_hosts and ssh_config.
std::string host_alias(const lab::Lab& lab, const std::string& node);

// The communicator's target for a node at `ep`, with the pinned host key.
communicator::SshTarget ssh_target(const lab::Lab& lab, const config::Node& node,
                                   const providers::SshEndpoint& ep);

// An OpenSSH client config for the nodes (Vmfile order) that have an endpoint.
std::string ssh_config_text(const lab::Lab& lab,
                            const std::map<std::string, providers::SshEndpoint>& endpoints);

// Endpoints of the running machines, from the provider (one list()).
std::map<std::string, providers::SshEndpoint> running_endpoints(lab::Lab& lab);

}  // namespace vmlab::executor
