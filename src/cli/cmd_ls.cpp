// `vmlab ls [--json] [--prune [-f]]`: every lab on this host, from the hypervisors' own
// records (no index of vmlab's to go stale), with its project directory, state and node
// count. --prune removes the labs whose project directory is gone, as `destroy` would; it
// asks on a terminal, needs -f elsewhere. Needs no Vmfile.
#include <fmt/format.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "executor/host_labs.hpp"

namespace vmlab::cli {
namespace {

struct LsOpts {
  bool json = false;
  bool prune = false;
  bool force = false;
};

nlohmann::json to_json(const executor::HostLabs& all) {
  auto labs = nlohmann::json::array();
  for (const auto& l : all.labs)
    labs.push_back({{"lab_id", l.lab_id},
                    {"provider", l.provider},
                    {"project_dir", l.project_dir.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(l.project_dir)},
                    {"project_gone", l.project_gone()},
                    {"state", l.state},
                    {"nodes", l.nodes}});
  auto unreachable = nlohmann::json::array();
  for (const auto& u : all.unreachable)
    unreachable.push_back({{"provider", u.provider}, {"error", u.error}});
  return {{"labs", labs}, {"unreachable", unreachable}};
}

std::string project_text(const executor::HostLab& l) {
  if (l.project_dir.empty()) return "-";
  return l.project_gone() ? l.project_dir + " (gone)" : l.project_dir;
}

void print_table(const executor::HostLabs& all) {
  for (const auto& u : all.unreachable)
    fmt::print(stderr, "vmlab: note: {} did not answer: {}\n", u.provider, u.error);
  if (all.labs.empty()) {
    fmt::print("no labs on this host\n");
    return;
  }
  size_t wl = 3, wp = 8, ws = 5;
  for (const auto& l : all.labs) {
    wl = std::max(wl, l.lab_id.size());
    wp = std::max(wp, l.provider.size());
    ws = std::max(ws, l.state.size());
  }
  fmt::print("{:<{}}  {:<{}}  {:<{}}  {:>5}  {}\n", "LAB", wl, "PROVIDER", wp, "STATE", ws, "NODES",
             "PROJECT");
  for (const auto& l : all.labs)
    fmt::print("{:<{}}  {:<{}}  {:<{}}  {:>5}  {}\n", l.lab_id, wl, l.provider, wp, l.state, ws,
               l.nodes, project_text(l));
}

// Asks on a terminal; refuses (exit 2) without one unless -f.
bool confirmed(const std::vector<executor::HostLab>& gone, bool force) {
  if (force) return true;
  if (!isatty(STDIN_FILENO))
    throw UsageError("ls --prune needs -f when stdin is not a terminal (nothing was removed)");
  fmt::print("Remove {} lab(s) whose project directory is gone, and everything they created?\n",
             gone.size());
  for (const auto& l : gone) fmt::print("  {} ({}, {})\n", l.lab_id, l.provider, l.project_dir);
  fmt::print("[y/N] ");
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes";
}

void run_ls(GlobalOptions& g, const LsOpts& o) {
  auto all = executor::find_host_labs();
  if (!o.prune) {
    if (o.json)
      fmt::print("{}\n", to_json(all).dump(2));
    else
      print_table(all);
    return;
  }
  // --prune: the listing first (in JSON one line, followed by destroy's event lines).
  if (o.json)
    fmt::print("{}\n", to_json(all).dump());
  else
    print_table(all);
  std::vector<executor::HostLab> gone;
  for (const auto& l : all.labs)
    if (l.project_gone()) gone.push_back(l);
  if (gone.empty()) {
    if (!o.json) fmt::print("nothing to prune: every known project directory exists\n");
    return;
  }
  if (!confirmed(gone, o.force)) {
    fmt::print("nothing removed\n");
    return;
  }
  bool ok = true;
  for (const auto& l : gone) {
    executor::Reporter rep(o.json);
    ok = executor::prune_lab(l, rep) && ok;
  }
  g.exit_code = ok ? 0 : 1;
}

}  // namespace

void add_ls(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("ls", "Every lab on this host, from the hypervisors' records");
  auto o = std::make_shared<LsOpts>();
  cmd->add_flag("--json", o->json, "machine-readable output");
  cmd->add_flag("--prune", o->prune, "remove the labs whose project directory is gone");
  cmd->add_flag("-f,--force", o->force, "with --prune: do not ask");
  cmd->callback([&g, o] { run_ls(g, *o); });
}

}  // namespace vmlab::cli
