#include "lab/lab.hpp"

#include <algorithm>
#include <cstdlib>

#include "config/load.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "providers/registry/registry.hpp"
#include "provisioners/provisioner.hpp"

namespace vmlab::lab {

Lab open_lab(const OpenOptions& o) {
  Lab lab;
  const auto vmfile = o.vmfile.empty() ? config::find_vmfile(std::filesystem::current_path())
                                       : std::filesystem::path(o.vmfile);
  config::LoadOptions opts;
  opts.provider = o.provider;
  opts.step_types = &provisioners::step_types();
  lab.topo = config::load(vmfile, opts);
  lab.store = std::make_unique<state::Store>(lab.topo.project_dir);
  lab.store->load();
  auto rec = lab.store->get();
  lab.lab_id = rec.lab_id.empty() ? state::make_lab_id(lab.topo.name, lab.topo.project_dir)
                                  : rec.lab_id;
  // A lab that exists keeps the provider it was made with (as Vagrant does), unless the
  // provider is overridden explicitly (--provider, VMLAB_PROVIDER).
  const bool env_provider = settings::value("VMLAB_PROVIDER").has_value();
  const bool has_machines = std::any_of(rec.machines.begin(), rec.machines.end(),
                                        [](const auto& m) { return m.second.created; });
  if (o.provider.empty() && !env_provider && has_machines &&
      !rec.provider.empty() && rec.provider != lab.topo.provider) {
    log::info("lab", "lab {} was created with the {} provider; using it", lab.lab_id, rec.provider);
    lab.topo.provider = rec.provider;
  }
  lab.provider = providers::make_provider(lab.topo.provider, lab.topo);
  return lab;
}

Lab orphan_lab(const std::string& provider, const std::string& lab_id,
               const std::filesystem::path& project_dir) {
  Lab lab;
  lab.topo.name = lab_id.substr(0, lab_id.rfind('-'));  // "<name>-<6 hex>"
  lab.topo.provider = provider;
  lab.topo.project_dir = project_dir;
  lab.lab_id = lab_id;
  lab.store = std::make_unique<state::Store>(project_dir);
  lab.provider = providers::make_provider(provider, lab.topo);
  return lab;
}

providers::MachineRef Lab::ref(const std::string& node) const {
  return providers::MachineRef{lab_id, node, ""};
}

bool reconcile(state::LabRecord& rec, const std::map<std::string, providers::MachineInfo>& live) {
  auto exists = [&](const std::string& n) {
    auto it = live.find(n);
    return it != live.end() && it->second.state != providers::MachineState::NotCreated;
  };
  bool changed = false;
  for (auto& [name, m] : rec.machines) {
    if (!exists(name)) {
      if (m.created || !m.steps.empty() || m.provisioned) {
        m = state::MachineRecord{};  // deleted behind our back: forget it entirely
        changed = true;
      }
    } else if (!m.created) {
      m.created = true;  // exists (e.g. a crash came between create and the record update)
      changed = true;
    }
  }
  return changed;
}

std::map<std::string, providers::MachineInfo> Lab::live(bool save) {
  std::map<std::string, providers::MachineInfo> out;
  for (auto& m : provider->list(lab_id)) out[m.name] = m;
  auto rec = store->get();
  if (reconcile(rec, out) && save)
    store->update([&](state::LabRecord& r) { r.machines = rec.machines; });
  return out;
}

}  // namespace vmlab::lab
