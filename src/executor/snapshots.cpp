#include "executor/snapshots.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <tuple>

#include "core/error.hpp"
#include "core/host_probe.hpp"
#include "core/settings.hpp"
#include "executor/access.hpp"
#include "executor/capabilities.hpp"
#include "executor/connect.hpp"
#include "executor/lab_ops.hpp"
#include "executor/parallel.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
using nlohmann::json;
using providers::MachineState;

const char* const kSnapshotNameRule = "1 to 64 of A-Z a-z 0-9 . _ -, not starting with '.' or '-'";

namespace {

fs::path snapshots_dir(const lab::Lab& lab) {
  return filenames::state_dir(lab.topo.project_dir) / "snapshots";
}
fs::path snapshot_dir(const lab::Lab& lab, const std::string& name) {
  return snapshots_dir(lab) / name;
}

std::optional<LabSnapshot> read_meta(const fs::path& dir) {
  auto text = host::read_text(dir / "snapshot.json");
  if (!text) return std::nullopt;
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  LabSnapshot s;
  s.name = j.value("name", "");
  s.created = j.value("created", "");
  s.nodes = j.value("nodes", std::map<std::string, std::string>{});
  if (s.name.empty()) return std::nullopt;
  return s;
}

std::vector<std::string> keys(const std::map<std::string, std::string>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

// Fails the command (report + false) when some machine failed.
bool failed(Reporter& rep, const std::string& what, const std::map<std::string, std::string>& f) {
  if (f.empty()) return false;
  std::vector<std::string> lines{fmt::format("{} failed on {} node(s):", what, f.size())};
  for (const auto& [node, msg] : f) lines.push_back(fmt::format("  {}: {}", node, msg));
  rep.summary(false, lines);
  return true;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

bool valid_snapshot_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

std::string default_snapshot_name() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "snap-%Y%m%d-%H%M%S", &tm);
  return buf;
}

std::vector<LabSnapshot> list_snapshots(const lab::Lab& lab) {
  std::vector<LabSnapshot> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(snapshots_dir(lab), ec))
    if (auto s = read_meta(e.path())) out.push_back(*s);
  std::sort(out.begin(), out.end(), [](const LabSnapshot& a, const LabSnapshot& b) {
    return std::tie(a.created, a.name) < std::tie(b.created, b.name);
  });
  return out;
}

std::vector<std::string> vmfile_changes(const std::string& before, const std::string& now,
                                        size_t max) {
  if (before == now) return {};
  const auto a = split_lines(before), b = split_lines(now);
  // Longest common subsequence of lines (Vmfiles are small): what is not in it changed.
  std::vector<std::vector<int>> l(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (size_t i = a.size(); i-- > 0;)
    for (size_t j = b.size(); j-- > 0;)
      l[i][j] = a[i] == b[j] ? l[i + 1][j + 1] + 1 : std::max(l[i + 1][j], l[i][j + 1]);
  std::vector<std::string> out;
  size_t i = 0, j = 0, total = 0;
  auto add = [&](const std::string& s) {
    if (out.size() < max) out.push_back(s);
    ++total;
  };
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ++i, ++j;
    } else if (i < a.size() && (j == b.size() || l[i + 1][j] >= l[i][j + 1])) {
      add(fmt::format("- {} (line {} then)", a[i], i + 1));
      ++i;
    } else {
      add(fmt::format("+ {} (line {} now)", b[j], j + 1));
      ++j;
    }
  }
  if (total > out.size()) out.push_back(fmt::format("... ({} more)", total - out.size()));
  return out;
}

bool save_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep) {
  require_snapshots(lab.topo, lab.provider->capabilities());
  if (!valid_snapshot_name(name))
    throw UsageError(fmt::format("invalid snapshot name '{}': {}", name, kSnapshotNameRule));
  const fs::path dir = snapshot_dir(lab, name);
  if (read_meta(dir))
    throw UsageError(
        fmt::format("snapshot '{}' exists already (vmlab snapshot delete {})", name, name));
  WarningsToReporter warnings(*lab.provider, rep);
  auto live = lab.live(true);
  std::map<std::string, std::string> nodes;
  std::vector<std::string> all, running;
  for (const auto& [node, info] : live) {
    if (info.state == MachineState::NotCreated) continue;
    const bool up = info.state == MachineState::Running || info.state == MachineState::Paused;
    nodes[node] = up ? "running" : "stopped";
    all.push_back(node);
    if (up) running.push_back(node);
  }
  if (all.empty())
    throw UsageError(
        fmt::format("lab {} has no machine to snapshot (run `vmlab up` first)", lab.topo.name));
  // Leftovers of an interrupted save of this name go first (no snapshot.json: not one).
  std::error_code ec;
  fs::remove_all(dir, ec);
  parallel_for(all, default_parallelism(),
               [&](const std::string& n) { lab.provider->snapshot_delete(lab.ref(n), name); });

  const auto par = default_parallelism();
  rep.lab(fmt::format("pausing {} running node(s)", running.size()));
  auto f = parallel_for(running, par, [&](const std::string& n) {
    lab.provider->pause(lab.ref(n));
    rep.event(n, "paused", "paused");
  });
  if (f.empty()) {
    f = parallel_for(all, par, [&](const std::string& n) {
      rep.event(n, "snapshot", fmt::format("saving snapshot {}", name));
      lab.provider->snapshot_save(lab.ref(n), name);
      rep.event(n, "snapshot-saved", "saved");
    });
  }
  // Always thawed, also after a failure.
  auto resumed =
      parallel_for(running, par, [&](const std::string& n) { lab.provider->resume(lab.ref(n)); });
  for (const auto& [n, msg] : resumed) f.emplace(n, "resume: " + msg);
  if (!f.empty()) {
    parallel_for(all, par,
                 [&](const std::string& n) { lab.provider->snapshot_delete(lab.ref(n), name); });
    failed(rep, "snapshot save", f);
    return false;
  }
  fs::create_directories(dir);
  state::write_file_atomic(dir / "state.json", state::record_text(lab.store->get()), 0600);
  state::write_file_atomic(dir / "Vmfile", host::read_text(lab.topo.vmfile).value_or(""), 0600);
  json meta = {
      {"name", name}, {"created", state::now_iso8601()}, {"lab_id", lab.lab_id}, {"nodes", nodes}};
  state::write_file_atomic(dir / "snapshot.json", meta.dump(2) + "\n", 0600);  // last: it exists
  rep.summary(true, {fmt::format("lab {}: snapshot {} saved ({} node(s), {} running)",
                                 lab.topo.name, name, all.size(), running.size())});
  return true;
}

bool restore_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep) {
  require_snapshots(lab.topo, lab.provider->capabilities());
  const fs::path dir = snapshot_dir(lab, name);
  auto meta = valid_snapshot_name(name) ? read_meta(dir) : std::nullopt;
  if (!meta)
    throw UsageError(fmt::format("lab {} has no snapshot '{}' (see `vmlab snapshot list`)",
                                 lab.topo.name, name));
  WarningsToReporter warnings(*lab.provider, rep);
  auto live = lab.live(true);
  std::vector<std::string> gone;
  for (const auto& [node, st] : meta->nodes)
    if (!live.count(node) || live[node].state == MachineState::NotCreated) gone.push_back(node);
  if (!gone.empty())
    throw UsageError(fmt::format(
        "cannot restore snapshot '{}': node(s) {} were destroyed since (their snapshots went "
        "with their disks); nothing was changed",
        name, [&] {
          std::string s;
          for (const auto& g : gone) s += (s.empty() ? "" : ", ") + g;
          return s;
        }()));
  auto changes = vmfile_changes(host::read_text(dir / "Vmfile").value_or(""),
                                host::read_text(lab.topo.vmfile).value_or(""));
  if (!changes.empty()) {
    std::string msg = "the Vmfile differs from the one of snapshot " + name +
                      " (the machines return to that one's lab; `vmlab up` then applies "
                      "today's):";
    for (const auto& c : changes) msg += "\n    " + c;
    rep.warning("", msg);
  }
  for (const auto& [node, info] : live)
    if (info.state != MachineState::NotCreated && !meta->nodes.count(node))
      rep.warning(node, fmt::format("not in snapshot {}: left as it is", name));

  const auto nodes = keys(meta->nodes);
  const auto par = default_parallelism();
  // Every machine of the snapshot stops running at once, then returns to its moment.
  auto f = parallel_for(nodes, par, [&](const std::string& n) {
    if (live[n].state == MachineState::Running) lab.provider->pause(lab.ref(n));
  });
  if (f.empty())
    f = parallel_for(nodes, par, [&](const std::string& n) {
      rep.event(n, "restoring", fmt::format("restoring snapshot {}", name));
      lab.provider->snapshot_restore(lab.ref(n), name);
    });
  if (failed(rep, "snapshot restore", f)) return false;
  // Taken paused: those that ran then run again; those stopped then are stopped now.
  f = parallel_for(nodes, par, [&](const std::string& n) {
    if (meta->nodes[n] == "running") lab.provider->resume(lab.ref(n));
    rep.event(n, "restored",
              meta->nodes[n] == "running" ? "restored (running)" : "restored (stopped)");
  });
  // The record of those machines as it was then: `up` knows exactly what ran.
  auto saved = state::record_from_text(host::read_text(dir / "state.json").value_or("{}"),
                                       (dir / "state.json").string());
  lab.store->update([&](state::LabRecord& r) {
    for (const auto& n : nodes) {
      auto it = saved.machines.find(n);
      if (it != saved.machines.end())
        r.machines[n] = it->second;
      else
        r.machines.erase(n);
    }
  });
  if (failed(rep, "snapshot restore", f)) return false;
  // Back when they answer SSH again (with the pinned host key: the same disks, the same keys).
  auto now_live = lab.live(true);
  std::vector<std::string> up;
  for (const auto& n : nodes)
    if (meta->nodes[n] == "running") up.push_back(n);
  const auto wait = settings::seconds("VMLAB_CONNECT_TIMEOUT");
  f = parallel_for(up, par, [&](const std::string& n) {
    const config::Node* node = lab.topo.find_node(n);
    auto it = now_live.find(n);
    if (!node || it == now_live.end() || !it->second.ssh) return;  // not in today's Vmfile
    const auto t0 = std::chrono::steady_clock::now();
    ssh_connector()(ssh_target(lab, *node, *it->second.ssh), t0 + wait, [] {});
    rep.event(
        n, "ready",
        fmt::format("answers SSH ({:.1f} s after the restore)",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
  });
  if (failed(rep, "snapshot restore (SSH after it)", f)) return false;
  if (!update_forwards(lab, now_live, rep)) return false;
  rep.summary(true, {fmt::format("lab {}: restored snapshot {} of {} ({} node(s))", lab.topo.name,
                                 name, meta->created, nodes.size())});
  return true;
}

bool delete_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep) {
  require_snapshots(lab.topo, lab.provider->capabilities());
  const fs::path dir = snapshot_dir(lab, name);
  std::error_code ec;
  if (!valid_snapshot_name(name) || !fs::exists(dir, ec))
    throw UsageError(fmt::format("lab {} has no snapshot '{}' (see `vmlab snapshot list`)",
                                 lab.topo.name, name));
  WarningsToReporter warnings(*lab.provider, rep);
  std::vector<std::string> nodes;
  for (const auto& [node, info] : lab.live(false))
    if (info.state != MachineState::NotCreated) nodes.push_back(node);
  auto f = parallel_for(nodes, default_parallelism(), [&](const std::string& n) {
    lab.provider->snapshot_delete(lab.ref(n), name);
  });
  if (failed(rep, "snapshot delete", f)) return false;
  fs::remove_all(dir, ec);
  rep.summary(true, {fmt::format("lab {}: snapshot {} deleted", lab.topo.name, name)});
  return true;
}

}  // namespace vmlab::executor
