// `vmlab doctor [--json]`: checks this host for the lab in the current directory (or, without
// a Vmfile, for any lab of the provider): each check ok / warn / fail with a one-line fix.
// Exit 0 when nothing failed, 1 otherwise. Creates nothing, takes no lock.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "cli/lab.hpp"
#include "core/error.hpp"
#include "core/settings.hpp"
#include "executor/doctor.hpp"
#include "providers/registry/registry.hpp"

namespace vmlab::cli {
namespace {

using providers::CheckLevel;

void print_checks(const std::vector<providers::HostCheck>& checks) {
  size_t w = 0;
  for (const auto& c : checks) w = std::max(w, c.name.size());
  int warns = 0, fails = 0;
  for (const auto& c : checks) {
    fmt::print("{:<5} {:<{}}  {}\n", providers::to_string(c.level), c.name, w, c.detail);
    if (!c.fix.empty()) fmt::print("      {:<{}}  fix: {}\n", "", w, c.fix);
    warns += c.level == CheckLevel::Warn;
    fails += c.level == CheckLevel::Fail;
  }
  fmt::print("{} check(s): {} failed, {} warning(s)\n", checks.size(), fails, warns);
}

void run_doctor(GlobalOptions& g, bool json) {
  std::optional<Lab> lab;
  bool have_vmfile = !g.vmfile.empty();
  if (!have_vmfile) try {
      (void)config::find_vmfile(std::filesystem::current_path());
      have_vmfile = true;
    } catch (const UsageError&) {
      // no Vmfile here or above: host checks only
    }
  if (have_vmfile) lab.emplace(open_lab(g));
  std::unique_ptr<providers::Provider> host_provider;
  std::string provider_name;
  if (!lab) {
    provider_name =
        !g.provider.empty() ? g.provider : settings::value("VMLAB_PROVIDER").value_or("libvirt");
    host_provider = providers::make_provider(provider_name, config::Topology{});
  } else {
    provider_name = lab->topo.provider;
  }
  providers::Provider& p = lab ? *lab->provider : *host_provider;
  auto checks = executor::doctor(p, lab ? &lab->topo : nullptr, lab ? lab->lab_id : "");
  const bool passed = executor::doctor_passed(checks);
  if (json) {
    auto arr = nlohmann::json::array();
    for (const auto& c : checks)
      arr.push_back({{"name", c.name},
                     {"level", providers::to_string(c.level)},
                     {"detail", c.detail},
                     {"fix", c.fix}});
    nlohmann::json out{{"ok", passed}, {"provider", provider_name}, {"checks", arr}};
    out["vmfile"] = lab ? nlohmann::json(lab->topo.vmfile.string()) : nlohmann::json(nullptr);
    out["lab_id"] = lab ? nlohmann::json(lab->lab_id) : nlohmann::json(nullptr);
    fmt::print("{}\n", out.dump(2));
  } else {
    if (lab)
      fmt::print("lab {} ({}, {})\n", lab->topo.name, provider_name, lab->topo.vmfile.string());
    else
      fmt::print("no Vmfile here: host checks for the {} provider only\n", provider_name);
    print_checks(checks);
  }
  g.exit_code = passed ? 0 : 1;
}

}  // namespace

void add_doctor(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand(
      "doctor", "Check this host for the lab: provider, KVM, tools, networks, ports, memory, disk");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "one JSON object with the checks");
  cmd->callback([&g, json] { run_doctor(g, *json); });
}

}  // namespace vmlab::cli
