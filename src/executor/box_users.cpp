#include "executor/box_users.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "config/load.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "provisioners/provisioner.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;

namespace {

// The box of each node as the project's Vmfile says (old records); empty when unreadable.
std::map<std::string, std::string> boxes_from_vmfile(const fs::path& project) {
  std::map<std::string, std::string> out;
  try {
    config::LoadOptions opts;
    opts.use_env = false;
    opts.step_types = &provisioners::step_types();
    for (const auto& n : config::load(project / filenames::kVmfile, opts).nodes)
      out[n.name] = n.box;
  } catch (const Error& e) {
    log::debug("box", "{}: cannot read its Vmfile: {}", project.string(), e.what());
  }
  return out;
}

}  // namespace

std::vector<BoxUser> box_users(const std::string& box, const HostLabs& labs) {
  std::vector<BoxUser> out;
  for (const HostLab& l : labs.labs) {
    if (l.project_dir.empty() || l.project_gone() || l.machine_names.empty()) continue;
    const fs::path project = l.project_dir;
    state::LabRecord rec;
    try {
      state::Store store(project);
      store.load();
      rec = store.get();
    } catch (const Error& e) {
      log::debug("box", "{}: {}", l.lab_id, e.what());
      continue;
    }
    if (!rec.lab_id.empty() && rec.lab_id != l.lab_id) continue;  // another lab's record
    std::map<std::string, std::string> from_file;
    bool read_file = false;
    BoxUser u{l.provider, l.lab_id, l.project_dir, {}};
    for (const std::string& node : l.machine_names) {
      auto it = rec.machines.find(node);
      std::string used = it != rec.machines.end() ? it->second.box : "";
      if (used.empty()) {
        if (!read_file) from_file = boxes_from_vmfile(project), read_file = true;
        if (auto f = from_file.find(node); f != from_file.end()) used = f->second;
      }
      if (used == box) u.nodes.push_back(node);
    }
    if (!u.nodes.empty()) {
      std::sort(u.nodes.begin(), u.nodes.end());
      out.push_back(std::move(u));
    }
  }
  return out;
}

std::string describe(const BoxUser& u) {
  std::string nodes;
  for (const auto& n : u.nodes) nodes += (nodes.empty() ? "" : ", ") + n;
  return fmt::format("lab {} ({}, {}): {}", u.lab_id, u.provider, u.project_dir, nodes);
}

}  // namespace vmlab::executor
