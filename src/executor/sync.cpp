#include "executor/sync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "communicator/command.hpp"
#include "core/error.hpp"
#include "executor/cancel.hpp"
#include "provisioners/file/tree_copy.hpp"
#include "state/filenames.hpp"

namespace vmlab::executor {
namespace {
using communicator::shell_quote;

// /proc/mounts writes space, tab, newline and backslash as octal escapes.
std::string proc_mounts_escape(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\\')
      out += fmt::format("\\{:03o}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

std::string size_text(std::uintmax_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024.0);
  return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024.0));
}

void mount_one(communicator::Remote& remote, const providers::GuestMount& m,
               const config::SyncFolder& f, const config::Node& node, Reporter& rep) {
  std::string out, err;
  communicator::ExecOptions o;
  o.sudo = true;
  o.on_stdout_line = [&](std::string_view l) { (out += l) += '\n'; };
  o.on_stderr_line = [&](std::string_view l) { (err += err.empty() ? "" : "; ") += l; };
  const int rc = remote.exec(mount_command(m, f.guest), o);
  if (rc != 0)
    throw Error(
        "synced folder {}: `mount -t {} {}` failed in the guest (exit status {}){}; a machine "
        "created before this folder was in the Vmfile does not share it: recreate it "
        "(`vmdestroy {} && vmup {}`), and check the box has the {} kernel module",
        f.guest, m.fstype, m.source, rc, err.empty() ? "" : ": " + err, node.name, node.name,
        m.fstype);
  const bool already = out.find("already") != std::string::npos;
  rep.event(node.name, "sync",
            fmt::format("{}: {} ({} {})", f.guest, already ? "already mounted" : "mounted",
                        m.fstype, m.source),
            {{"guest", f.guest}, {"mode", "mount"}});
}

void copy_one(communicator::Remote& remote, const config::Topology& topo,
              const config::SyncFolder& f, const config::Node& node, Reporter& rep) {
  // The login user owns the top directory, so the uploads (as that user) can write in it.
  const std::string user = remote.target().user;
  const std::string g = shell_quote(f.guest);
  std::string prep = "mkdir -p " + g;
  if (user != "root") prep += " && chown " + shell_quote(user) + " " + g;
  communicator::ExecOptions o;
  o.sudo = true;
  std::string err;
  o.on_stderr_line = [&](std::string_view l) { (err += err.empty() ? "" : "; ") += l; };
  if (const int rc = remote.exec(prep, o); rc != 0)
    throw Error("synced folder {}: cannot create it in the guest (exit status {}){}", f.guest, rc,
                err.empty() ? "" : ": " + err);
  // The project's own state (keys, record) never leaves the host.
  std::set<std::string> skip;
  if (f.host == topo.project_dir.lexically_normal()) skip.insert(filenames::kStateDir);
  const auto r = provisioners::copy_changed(remote, f.host, f.guest, skip);
  rep.event(node.name, "sync",
            fmt::format("{}: {} file(s) sent ({}), {} unchanged", f.guest, r.sent,
                        size_text(r.bytes), r.unchanged),
            {{"guest", f.guest},
             {"mode", "copy"},
             {"sent", std::to_string(r.sent)},
             {"unchanged", std::to_string(r.unchanged)}});
}

}  // namespace

std::string mount_command(const providers::GuestMount& m, const std::string& guest) {
  const std::string g = shell_quote(guest);
  // The mount point is field 2 of /proc/mounts: " PATH " matches no other field.
  return fmt::format(
      "mkdir -p {0} || exit 1; if grep -qF -- {1} /proc/mounts; then echo 'already mounted'; "
      "else mount -t {2}{3} {4} {0} && echo mounted; fi",
      g, shell_quote(" " + proc_mounts_escape(guest) + " "), shell_quote(m.fstype),
      m.options.empty() ? "" : " -o " + shell_quote(m.options), shell_quote(m.source));
}

void check_syncs(const config::Topology& topo, const providers::Capabilities& caps) {
  if (caps.sync_mount) return;
  std::vector<std::string> lines;
  for (const auto& n : topo.nodes)
    for (const auto& f : n.syncs)
      if (f.mode == config::SyncMode::Mount) {
        const std::string line = fmt::format(
            "{}:{}:{}: node \"{}\": synced folder {} has mode = \"mount\", which the {} "
            "provider cannot do; use mode = \"copy\"",
            topo.vmfile.string(), f.pos.line, f.pos.col, n.name, f.guest, topo.provider);
        if (std::find(lines.begin(), lines.end(), line) == lines.end()) lines.push_back(line);
      }
  if (lines.empty()) return;
  std::string msg;
  for (const auto& l : lines) msg += l + "\n";
  throw UsageError(msg + "nothing was created");
}

bool has_syncs(const config::Topology& topo, const std::vector<std::string>& nodes) {
  return std::any_of(nodes.begin(), nodes.end(), [&](const std::string& n) {
    const config::Node* node = topo.find_node(n);
    return node && !node->syncs.empty();
  });
}

void sync_folders(communicator::Remote& remote, const providers::Provider& provider,
                  const config::Topology& topo, const config::Node& node, Reporter& rep) {
  for (std::size_t i = 0; i < node.syncs.size(); ++i) {
    check_cancel();
    const auto& f = node.syncs[i];
    if (f.mode == config::SyncMode::Mount)
      mount_one(remote, provider.sync_mount(node, i), f, node, rep);
    else
      copy_one(remote, topo, f, node, rep);
  }
}

}  // namespace vmlab::executor
