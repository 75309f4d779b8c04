#include "executor/host_labs.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/log.hpp"
#include "executor/lab_ops.hpp"
#include "lab/lab.hpp"
#include "providers/registry/registry.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
using providers::MachineState;

bool HostLab::project_gone() const {
  std::error_code ec;
  return !project_dir.empty() && !fs::exists(project_dir, ec) && !ec;
}

namespace {

std::string lab_state(const std::vector<providers::MachineInfo>& machines) {
  if (machines.empty()) return "empty";
  auto running = std::count_if(machines.begin(), machines.end(), [](const auto& m) {
    return m.state == MachineState::Running || m.state == MachineState::Paused;
  });
  if (running == 0) return "halted";
  return static_cast<size_t>(running) == machines.size() ? "running" : "partly";
}

}  // namespace

HostLabs find_host_labs() {
  HostLabs out;
  const config::Topology none;  // no lab: the providers' defaults (VMLAB_LIBVIRT_URI, ...)
  for (const auto& entry : providers::provider_table()) {
    try {
      auto p = entry.make(none);
      for (auto& l : p->list_labs()) {
        std::vector<std::string> names;
        for (const auto& m : l.machines) names.push_back(m.name);
        out.labs.push_back({entry.name, l.lab_id, l.project_dir, lab_state(l.machines),
                            l.machines.size(), std::move(names)});
      }
    } catch (const Error& e) {
      log::info("ls", "{}: {}", entry.name, e.what());
      std::string msg = e.what();
      out.unreachable.push_back({entry.name, msg.substr(0, msg.find('\n'))});
    }
  }
  return out;
}

bool prune_lab(const HostLab& l, Reporter& rep) {
  lab::Lab lab = lab::orphan_lab(l.provider, l.lab_id, l.project_dir);
  return destroy(lab, rep);
}

}  // namespace vmlab::executor
