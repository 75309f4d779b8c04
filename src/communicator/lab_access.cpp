#include "communicator/lab_access.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "communicator/keys.hpp"
#include "core/error.hpp"
#include "state/filenames.hpp"

namespace vmlab::communicator {
namespace fs = std::filesystem;

namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("cannot read {}", p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

std::string host_alias(const std::string& lab_id, const std::string& node) {
  return fmt::format("vmlab-{}-{}", lab_id, node);
}

void ensure_lab_keys(const fs::path& dir, const std::string& lab_id,
                     const std::vector<std::string>& nodes) {
  generate_ed25519(filenames::lab_key(dir), "vmlab-" + lab_id);
  std::vector<KnownHost> known;
  for (const auto& node : nodes) {
    const auto key = filenames::host_key(dir, node);
    generate_ed25519(key, host_alias(lab_id, node));
    auto pub = parse_public_key(pinned_host_key(dir, node));
    if (!pub) throw Error("invalid host key {}.pub", key.string());
    known = upsert_known_host(known, {{host_alias(lab_id, node)}, *pub});
  }
  write_known_hosts(filenames::known_hosts(dir), known);
}

fs::path seen_host_key_file(const fs::path& dir, const std::string& node) {
  return filenames::host_key(dir, node).parent_path() / "seen_host_key.pub";
}

fs::path vagrant_insecure_key_file(const fs::path& dir) {
  return filenames::lab_key(dir).parent_path() / "vagrant_insecure_key";
}

std::string pinned_host_key(const fs::path& dir, const std::string& node) {
  const auto seen = seen_host_key_file(dir, node);
  if (fs::exists(seen)) return read_public_key(seen);
  return read_public_key(filenames::host_key(dir, node).string() + ".pub");
}

void pin_seen_host_key(const fs::path& dir, const std::string& lab_id, const std::string& node,
                       const std::string& public_line) {
  auto pub = parse_public_key(public_line);
  if (!pub) throw Error("{}: not a public key: {}", node, public_line);
  const auto seen = seen_host_key_file(dir, node);
  fs::create_directories(seen.parent_path());
  const auto tmp = seen.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << pub->to_line() << "\n";
    if (!out.flush()) throw Error("cannot write {}", tmp);
  }
  fs::rename(tmp, seen);
  write_known_hosts(filenames::known_hosts(dir),
                    upsert_known_host(read_known_hosts(filenames::known_hosts(dir)),
                                      {{host_alias(lab_id, node)}, *pub}));
}

void forget_seen_host_key(const fs::path& dir, const std::string& node) {
  std::error_code ec;
  fs::remove(seen_host_key_file(dir, node), ec);
}

NodeKeys read_node_keys(const fs::path& dir, const std::string& node) {
  const auto host = filenames::host_key(dir, node);
  NodeKeys k;
  k.authorized_key = read_public_key(filenames::lab_key(dir).string() + ".pub");
  k.host_key_private = read_text(host);
  k.host_key_public = read_public_key(host.string() + ".pub");
  return k;
}

SshTarget lab_target(const fs::path& dir, const std::string& node, const std::string& user,
                     const std::string& host, int port) {
  SshTarget t;
  t.host = host;
  t.port = port;
  t.user = user;
  t.private_key = filenames::lab_key(dir);
  t.pinned_host_key = pinned_host_key(dir, node);
  t.label = node;
  return t;
}

std::string ssh_config_text(const fs::path& dir, const std::string& lab_name,
                            const std::string& lab_id, const std::vector<SshConfigHost>& hosts) {
  std::string out = fmt::format("# vmlab lab {} ({}): generated, do not edit\n", lab_name, lab_id);
  for (const auto& h : hosts) {
    out += fmt::format(
        "Host {}\n"
        "  HostName {}\n"
        "  Port {}\n"
        "  User {}\n"
        "  IdentityFile \"{}\"\n"
        "  IdentitiesOnly yes\n"
        "  HostKeyAlias {}\n"
        "  UserKnownHostsFile \"{}\"\n"
        "  StrictHostKeyChecking yes\n"
        "  PasswordAuthentication no\n"
        "  LogLevel ERROR\n",
        h.node, h.host, h.port, h.user, fs::absolute(filenames::lab_key(dir)).string(),
        host_alias(lab_id, h.node), fs::absolute(filenames::known_hosts(dir)).string());
    for (const auto& n : h.notes) out += "  # " + n + "\n";
  }
  return out;
}

}  // namespace vmlab::communicator
