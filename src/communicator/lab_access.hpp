#pragma once
// A lab's SSH trust material on disk, beside keys.hpp: the per-lab ed25519 key, the host key
// vmlab generates for each node (and injects through the seed), the pinned known_hosts (by
// alias "vmlab-<lab_id>-<node>"), the generated OpenSSH client config and the communicator
// targets built from them. Paths are those of state/filenames.hpp under the project dir.
// Errors: throw vmlab::Error / SshError naming the file.
#include <filesystem>
#include <string>
#include <vector>

#include "communicator/ssh_target.hpp"

namespace vmlab::communicator {

// The host-key alias used in known_hosts and ssh_config.
std::string host_alias(const std::string& lab_id, const std::string& node);

// Creates the lab key and every node's host key if missing (idempotent), and writes the
// pinned known_hosts with one alias entry per node.
void ensure_lab_keys(const std::filesystem::path& project_dir, const std::string& lab_id,
                     const std::vector<std::string>& nodes);

// The keys a node's seed carries (read from the files ensure_lab_keys made).
struct NodeKeys {
  std::string authorized_key;    // the lab key's public line
  std::string host_key_private;  // the node's host key (file content)
  std::string host_key_public;   // its public line
};
NodeKeys read_node_keys(const std::filesystem::path& project_dir, const std::string& node);

// Where the trust material of boxes without a seed (Vagrant boxes) lives, beside the lab's
// other keys: the host key `node` showed at its first login (trust on first use; pinned
// instead of the generated host key's .pub while it exists), and Vagrant's published insecure
// private key, written out for first logins.
std::filesystem::path seen_host_key_file(const std::filesystem::path& project_dir,
                                         const std::string& node);
std::filesystem::path vagrant_insecure_key_file(const std::filesystem::path& project_dir);

// The host key pinned for `node`: the one it showed at its first login if recorded
// (pin_seen_host_key), else the one vmlab generated for its seed.
std::string pinned_host_key(const std::filesystem::path& project_dir, const std::string& node);
// Trust on first use: records `public_line` as the host key `node` showed at its first login
// and rewrites known_hosts (by alias) to pin it. forget_seen_host_key undoes it (a machine made
// anew from a seed gets vmlab's generated key again); both idempotent.
void pin_seen_host_key(const std::filesystem::path& project_dir, const std::string& lab_id,
                       const std::string& node, const std::string& public_line);
void forget_seen_host_key(const std::filesystem::path& project_dir, const std::string& node);

// The communicator's target for `node` at host:port as `user`, with the pinned host key.
SshTarget lab_target(const std::filesystem::path& project_dir, const std::string& node,
                     const std::string& user, const std::string& host, int port);

// One Host block of the generated OpenSSH config.
struct SshConfigHost {
  std::string node;
  std::string host;
  int port = 22;
  std::string user;
  std::vector<std::string> notes;  // "# ..." lines in its block (its forwarded ports)
};

// An OpenSSH client config: one Host block per entry with the lab key, the pinned host key
// (HostKeyAlias + UserKnownHostsFile, StrictHostKeyChecking yes) and IdentitiesOnly.
std::string ssh_config_text(const std::filesystem::path& project_dir, const std::string& lab_name,
                            const std::string& lab_id, const std::vector<SshConfigHost>& hosts);

}  // namespace vmlab::communicator
