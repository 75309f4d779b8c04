#pragma once
// Synced folders ([[node.sync]]) in `up` and `provision`: the core decides how each folder
// gets to the guest. mode "mount": the provider shared it at create() (Capabilities::
// sync_mount) and vmlab mounts it over SSH after every start, so it survives halt/up without
// touching the guest's fstab; mode "copy": the folder's files are sent over SSH (SFTP) at
// every up/provision, only those whose sha256 differs from the guest's copy
// (provisioners/file/tree_copy, the file provisioner's code). Runs after boot, before steps.
#include <string>

#include "communicator/remote.hpp"
#include "config/model.hpp"
#include "executor/reporter.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

// Before `up` touches anything: every `mount` folder of the lab needs the provider's
// sync_mount capability. Throws UsageError (exit 2) listing each one with its Vmfile line.
void check_syncs(const config::Topology& topo, const providers::Capabilities& caps);

// True when any of `nodes` has synced folders (`up` is then not a no-op: copies are checked).
bool has_syncs(const config::Topology& topo, const std::vector<std::string>& nodes);

// Makes each synced folder of `node` available in the guest, in file order, one "sync" event
// each ("/vmlab: mounted (9p vmlab0)", "/vmlab: 2 file(s) sent (10 B), 5 unchanged").
// Throws Error naming the folder when a mount or a copy fails.
void sync_folders(communicator::Remote& remote, const providers::Provider& provider,
                  const config::Topology& topo, const config::Node& node, Reporter& rep);

// The guest command that mounts `m` on `guest` unless something is mounted there already;
// prints "mounted" or "already mounted". Exposed for tests.
std::string mount_command(const providers::GuestMount& m, const std::string& guest);

}  // namespace vmlab::executor
