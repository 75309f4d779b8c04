// First boot of a Vagrant box: a login with the insecure key (the system ssh), trust on first
// use of the host key, then the lab key, hostname, /etc/hosts and lab addresses.
#include "executor/first_login.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "boxes/box.hpp"
#include "boxes/vagrant_box.hpp"
#include "communicator/command.hpp"
#include "communicator/keys.hpp"
#include "communicator/lab_access.hpp"
#include "communicator/run_tool.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/access.hpp"
#include "executor/cancel.hpp"
#include "seed/seed.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;

const char* const kFirstLoginScript = R"SH(set -eu
printf '%s\n' "$VMLAB_HOSTNAME" > /etc/hostname
hostname "$VMLAB_HOSTNAME" 2>/dev/null || printf '%s' "$VMLAB_HOSTNAME" > /proc/sys/kernel/hostname
printf '%s' "$VMLAB_HOSTS" > /etc/hosts
networkd=""
if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q systemd-networkd 2>/dev/null; then networkd=1; fi
printf '%s\n' "$VMLAB_ADDRS" | while read -r mac addr; do
  [ -n "$mac" ] || continue
  dev=""
  for d in /sys/class/net/*; do
    [ "$(cat "$d/address" 2>/dev/null)" = "$mac" ] && dev="${d##*/}"
  done
  [ -n "$dev" ] || { echo "no network interface with MAC $mac" >&2; exit 1; }
  if [ -n "$networkd" ]; then
    printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s\n' "$mac" "$addr" > "/etc/systemd/network/20-vmlab-$dev.network"
  elif [ -d /etc/network/interfaces.d ]; then
    printf 'auto %s\niface %s inet static\n  address %s\n' "$dev" "$dev" "$addr" > "/etc/network/interfaces.d/vmlab-$dev"
  else
    echo "vmlab: $dev: $addr is set now but not persisted (neither systemd-networkd nor ifupdown)" >&2
  fi
  ip link set "$dev" up
  ip addr replace "$addr" dev "$dev"
  echo "vmlab: $dev ($mac): $addr"
done
[ -z "$networkd" ] || networkctl reload 2>/dev/null || true
# The lab key replaces the insecure one last: a setup that failed before can be run again.
home="$(getent passwd "$VMLAB_USER" | cut -d: -f6)"
[ -n "$home" ] || { echo "no user $VMLAB_USER" >&2; exit 1; }
group="$(id -gn "$VMLAB_USER")"
install -d -m 0700 -o "$VMLAB_USER" -g "$group" "$home/.ssh"
printf '%s\n' "$VMLAB_KEY" > "$home/.ssh/authorized_keys.vmlab"
chown "$VMLAB_USER:$group" "$home/.ssh/authorized_keys.vmlab"
chmod 0600 "$home/.ssh/authorized_keys.vmlab"
mv -f "$home/.ssh/authorized_keys.vmlab" "$home/.ssh/authorized_keys"
)SH";

namespace {

// Vagrant's insecure private key as a file ssh can use (0600, rewritten each time: it is
// public, nothing to protect).
fs::path insecure_key_file(const lab::Lab& lab) {
  const fs::path p = communicator::vagrant_insecure_key_file(lab.topo.project_dir);
  fs::create_directories(p.parent_path());
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << boxes::vagrant::kInsecurePrivateKey;
    if (!out.flush()) throw Error("cannot write {}", tmp.string());
  }
  ::chmod(tmp.c_str(), 0600);
  fs::rename(tmp, p);
  return p;
}

std::string lab_addresses(const lab::Lab& lab, const config::Node& node) {
  std::string out;
  for (const auto& n : seed::nics_for(lab.lab_id, node))
    if (!n.address.empty()) out += n.mac + " " + n.address + "\n";
  return out;
}

std::string last_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

}  // namespace

void first_boot(lab::Lab& lab, const config::Node& node, bool created,
                const std::function<providers::SshEndpoint()>& endpoint,
                std::chrono::steady_clock::time_point deadline, Reporter& rep) {
  const auto box = boxes::find_box(node.box);
  const fs::path dir = lab.topo.project_dir;
  if (created) communicator::forget_seen_host_key(dir, node.name);  // a new machine, a new key
  if (!box || !boxes::needs_first_login(*box)) return;
  if (!created && fs::exists(communicator::seen_host_key_file(dir, node.name))) return;  // done
  // The system ssh, not libssh2: Vagrant's insecure key is RSA, and libssh2 1.10 signs RSA
  // logins only with ssh-rsa (SHA-1), which OpenSSH >= 8.8 servers refuse; ssh uses
  // rsa-sha2-512. Host keys: accept-new into a file of its own (trust on first use), ed25519
  // or ECDSA (what libssh2 verifies later).
  const providers::SshEndpoint ep = endpoint();
  const std::string alias = host_alias(lab, node.name);
  const fs::path known = communicator::seen_host_key_file(dir, node.name).string() + ".first";
  fs::create_directories(known.parent_path());
  std::error_code ec;
  fs::remove(known, ec);
  const fs::path key = insecure_key_file(lab);
  auto ssh_args = [&](bool accept_new, const std::string& command) {
    return std::vector<std::string>{
        "-F",
        "/dev/null",
        "-i",
        key.string(),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "PasswordAuthentication=no",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "ServerAliveInterval=5",
        "-o",
        "ServerAliveCountMax=6",
        "-o",
        std::string("StrictHostKeyChecking=") + (accept_new ? "accept-new" : "yes"),
        "-o",
        "UserKnownHostsFile=" + known.string(),
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "HostKeyAlias=" + alias,
        "-o",
        "HostKeyAlgorithms=ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521",
        "-o",
        "LogLevel=ERROR",
        "-p",
        std::to_string(ep.port),
        box->user + "@" + ep.host,
        "--",
        command};
  };
  rep.event(node.name, "first-login",
            fmt::format("first login as {} on {}:{} with Vagrant's insecure key", box->user,
                        ep.host, ep.port));
  communicator::ToolResult r;
  for (;;) {
    r = communicator::run_tool("ssh", ssh_args(true, "true"));
    if (r.exit_code == 0) break;
    if (r.exit_code == -1)
      throw SshError("{}: cannot run ssh for the first login: {}", node.name, r.err);
    log::debug("first-login", "{}: not yet: {}", node.name, last_line(r.err));
    if (std::chrono::steady_clock::now() + std::chrono::seconds(2) >= deadline)
      throw SshError("{}: no login as {} with Vagrant's insecure key on {}:{} in time (last: {})",
                     node.name, box->user, ep.host, ep.port, last_line(r.err));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    check_cancel();
  }
  const auto seen = communicator::find_known_host(communicator::read_known_hosts(known), alias);
  if (!seen) throw SshError("{}: ssh recorded no host key at the first login", node.name);
  const std::string fp = communicator::fingerprint_sha256(seen->blob);
  rep.event(node.name, "host-key",
            fmt::format("host key {} {} accepted on first use", seen->type, fp),
            {{"fingerprint", fp}, {"type", seen->type}});

  const auto keys = machine_keys(lab, node);
  using communicator::shell_quote;
  std::string script = "VMLAB_USER=" + shell_quote(box->user) + "\n";
  script += "VMLAB_KEY=" + shell_quote(keys.authorized_key) + "\n";
  script += "VMLAB_HOSTNAME=" + shell_quote(node.name) + "\n";
  script += "VMLAB_HOSTS=" + shell_quote(seed::hosts_file(lab.topo)) + "\n";
  script += "VMLAB_ADDRS=" + shell_quote(lab_addresses(lab, node)) + "\n";
  script += kFirstLoginScript;
  r = communicator::run_tool("ssh", ssh_args(false, "sudo -n sh -c " + shell_quote(script)));
  fs::remove(known, ec);
  if (r.exit_code != 0)
    throw Error(
        "{}: first-login setup (lab key, hostname, addresses) failed with exit status {}:\n{}{}",
        node.name, r.exit_code, r.out, r.err);
  log::debug("first-login", "{}: setup said: {}", node.name, r.out);
  // Pinned only now: a first login that failed before this point is done again by `up`.
  communicator::pin_seen_host_key(dir, lab.lab_id, node.name, seen->to_line());
  rep.event(node.name, "first-login-done",
            fmt::format("first login done: insecure key replaced by the lab key, hostname and "
                        "addresses set, host key {} pinned",
                        fp));
}

}  // namespace vmlab::executor
