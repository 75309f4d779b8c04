// Stage 2b: synced folders. [[defaults.sync]] and [[node.sync]] entries -> SyncFolder:
// `host` an existing directory (relative to the Vmfile's directory), `guest` an absolute
// guest path, `mode` "mount" (default) or "copy"; one guest path at most once per node.
// Whether the provider can mount is the executor's check (it knows the provider).
#include <fmt/format.h>

#include <algorithm>

#include "config/stages.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> kModes = {"mount", "copy"};

// "/a//b/./" -> "/a/b"; "/" stays "/".
std::string normal_guest(const std::string& p) {
  std::string n = fs::path(p).lexically_normal().generic_string();
  while (n.size() > 1 && n.back() == '/') n.pop_back();
  return n;
}

std::optional<SyncEntry> resolve_one(const RawSync& rs, const fs::path& project,
                                     Diagnostics& diag) {
  bool ok = true;
  for (auto [v, key] : {std::pair{&rs.host, "host"}, std::pair{&rs.guest, "guest"}}) {
    if (v->has()) continue;
    if (!diag.tainted(rs.key + "." + key))
      diag.add(
          rs.pos, rs.key,
          fmt::format("missing required key \"{}\" (a synced folder needs host and guest)", key));
    ok = false;
  }
  SyncEntry e;
  e.key = rs.key;
  e.folder.pos = rs.pos;
  if (rs.host.has()) {
    fs::path p = fs::path(*rs.host).is_absolute() ? fs::path(*rs.host) : project / *rs.host;
    p = p.lexically_normal();
    if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
    std::error_code ec;
    if (!fs::exists(p, ec)) {
      diag.add(rs.host.pos, rs.key + ".host",
               fmt::format("host folder \"{}\" does not exist (relative paths start at the "
                           "Vmfile's directory)",
                           *rs.host));
      ok = false;
    } else if (!fs::is_directory(p, ec)) {
      diag.add(rs.host.pos, rs.key + ".host",
               fmt::format("host folder \"{}\" is not a directory (a synced folder is a "
                           "directory; copy a single file with a file step)",
                           *rs.host));
      ok = false;
    }
    e.folder.host = p;
  }
  if (rs.guest.has()) {
    e.guest_pos = rs.guest.pos;
    e.folder.guest = normal_guest(*rs.guest);
    if (rs.guest->empty() || rs.guest->front() != '/') {
      diag.add(rs.guest.pos, rs.key + ".guest",
               fmt::format("guest path must be absolute (start with '/'), got \"{}\"", *rs.guest));
      ok = false;
    } else if (e.folder.guest == "/") {
      diag.add(rs.guest.pos, rs.key + ".guest",
               "guest path \"/\" would hide the guest's own root; name a directory such as "
               "\"/vmlab\"");
      ok = false;
    }
  }
  const std::string mode = rs.mode.value.value_or("mount");
  if (mode == "copy")
    e.folder.mode = SyncMode::Copy;
  else if (mode != "mount") {
    diag.add(rs.mode.pos, rs.key + ".mode",
             fmt::format("unknown mode \"{}\"; allowed: {} (mount: live, both ways; copy: sent "
                         "over SSH at each up and provision)",
                         mode, join(kModes)));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return e;
}

void report_duplicate(const SyncEntry& e, const SyncEntry& first, Diagnostics& diag) {
  diag.add(e.guest_pos, e.key + ".guest",
           fmt::format("duplicate guest path \"{}\" (also {})", e.folder.guest, first.key));
}

}  // namespace

std::vector<SyncEntry> resolve_syncs(const std::vector<RawSync>& raw, const fs::path& project,
                                     Diagnostics& diag) {
  std::vector<SyncEntry> out;
  for (const RawSync& rs : raw) {
    auto e = resolve_one(rs, project, diag);
    if (!e) continue;
    auto same = std::find_if(out.begin(), out.end(),
                             [&](const SyncEntry& o) { return o.folder.guest == e->folder.guest; });
    if (same != out.end()) {
      report_duplicate(*e, *same, diag);
      continue;
    }
    out.push_back(std::move(*e));
  }
  return out;
}

std::vector<SyncFolder> node_syncs(const std::vector<SyncEntry>& defaults,
                                   const std::vector<SyncEntry>& own, Diagnostics& diag) {
  std::vector<SyncFolder> out;
  for (const SyncEntry& d : defaults) out.push_back(d.folder);
  for (const SyncEntry& e : own) {
    auto same = std::find_if(defaults.begin(), defaults.end(),
                             [&](const SyncEntry& d) { return d.folder.guest == e.folder.guest; });
    if (same != defaults.end()) {
      report_duplicate(e, *same, diag);
      continue;
    }
    out.push_back(e.folder);
  }
  return out;
}

const char* to_string(SyncMode m) {
  return m == SyncMode::Copy ? "copy" : "mount";
}

}  // namespace vmlab::config
