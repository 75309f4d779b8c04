#include "executor/access.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "boxes/box.hpp"
#include "communicator/keys.hpp"
#include "core/error.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
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

std::string host_alias(const cli::Lab& lab, const std::string& node) {
  return fmt::format("vmlab-{}-{}", lab.lab_id, node);
}

void ensure_keys(const cli::Lab& lab) {
  const auto& dir = lab.topo.project_dir;
  communicator::generate_ed25519(filenames::lab_key(dir), "vmlab-" + lab.lab_id);
  std::vector<communicator::KnownHost> known;
  for (const auto& node : lab.topo.nodes) {
    const auto key = filenames::host_key(dir, node.name);
    communicator::generate_ed25519(key, host_alias(lab, node.name));
    auto pub = communicator::parse_public_key(communicator::read_public_key(key.string() + ".pub"));
    if (!pub) throw Error("invalid host key {}.pub", key.string());
    known = communicator::upsert_known_host(known, {{host_alias(lab, node.name)}, *pub});
  }
  communicator::write_known_hosts(filenames::known_hosts(dir), known);
}

std::string login_user(const config::Node& node) {
  auto box = boxes::find_box(node.box);
  return box ? box->user : "vmlab";
}

providers::MachineKeys machine_keys(const cli::Lab& lab, const config::Node& node) {
  const auto& dir = lab.topo.project_dir;
  const auto host = filenames::host_key(dir, node.name);
  providers::MachineKeys k;
  k.user = login_user(node);
  k.authorized_key = communicator::read_public_key(filenames::lab_key(dir).string() + ".pub");
  k.host_key_private = read_text(host);
  k.host_key_public = communicator::read_public_key(host.string() + ".pub");
  return k;
}

communicator::SshTarget ssh_target(const cli::Lab& lab, const config::Node& node,
                                   const providers::SshEndpoint& ep) {
  const auto& dir = lab.topo.project_dir;
  communicator::SshTarget t;
  t.host = ep.host;
  t.port = ep.port;
  t.user = login_user(node);
  t.private_key = filenames::lab_key(dir);
  t.pinned_host_key =
      communicator::read_public_key(filenames::host_key(dir, node.name).string() + ".pub");
  t.label = node.name;
  return t;
}

std::string ssh_config_text(const cli::Lab& lab,
                            const std::map<std::string, providers::SshEndpoint>& endpoints) {
  const auto& dir = lab.topo.project_dir;
  std::string out = fmt::format("# vmlab lab {} ({}): generated, do not edit\n", lab.topo.name,
                                lab.lab_id);
  for (const auto& node : lab.topo.nodes) {
    auto it = endpoints.find(node.name);
    if (it == endpoints.end()) continue;
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
        node.name, it->second.host, it->second.port, login_user(node),
        fs::absolute(filenames::lab_key(dir)).string(), host_alias(lab, node.name),
        fs::absolute(filenames::known_hosts(dir)).string());
  }
  return out;
}

std::map<std::string, providers::SshEndpoint> running_endpoints(cli::Lab& lab) {
  std::map<std::string, providers::SshEndpoint> out;
  for (const auto& [name, info] : lab.live(false))
    if (info.state == providers::MachineState::Running && info.ssh) out[name] = *info.ssh;
  return out;
}

}  // namespace vmlab::executor
