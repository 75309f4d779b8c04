#pragma once
// The first boot of a machine whose box reads no seed (a Vagrant box, box.json "seed":
// "vagrant"): vmlab logs in as the box's user with Vagrant's published insecure key (through
// the system ssh: the key is RSA, which libssh2 1.10 cannot sign with for OpenSSH >= 8.8),
// accepting the host key it is shown (trust on first use; reported, then pinned for every
// later connection), then replaces the insecure key with the lab key and sets the hostname,
// /etc/hosts and the node's static lab addresses (persisted for systemd-networkd or ifupdown,
// applied at once with `ip`).
#include <chrono>
#include <functional>

#include "executor/reporter.hpp"
#include "lab/lab.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

// Called by `up` for every node it runs, after create()/start() (`created`: this run created
// the machine). For a box that reads its seed it only drops, after a create, a host key pinned
// on first use by an earlier machine of that name (the new one gets vmlab's generated key).
// For a Vagrant box it does the first login after a create, or when an earlier first login
// did not finish (no seen host key recorded: the key is pinned only once the setup
// succeeded), and nothing otherwise. Throws SshError (no login with the insecure key before
// `deadline`) or Error (the setup script failed, with its output).
void first_boot(lab::Lab& lab, const config::Node& node, bool created,
                const std::function<providers::SshEndpoint()>& endpoint,
                std::chrono::steady_clock::time_point deadline, Reporter& rep);

// The setup script run as root in the guest (exported for the unit test): reads VMLAB_USER,
// VMLAB_KEY, VMLAB_HOSTNAME, VMLAB_HOSTS and VMLAB_ADDRS ("MAC A.B.C.D/NN" lines).
extern const char* const kFirstLoginScript;

}  // namespace vmlab::executor
