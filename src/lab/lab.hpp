#pragma once
// What every lab command starts from: the Vmfile loaded and validated, the provider chosen
// from the table, the state record read, and the lab id fixed. Used by the executor and the
// commands; knows nothing of the command line (the CLI fills OpenOptions).
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "config/model.hpp"
#include "providers/provider.hpp"
#include "state/state.hpp"

namespace vmlab::lab {

struct Lab {
  config::Topology topo;
  std::unique_ptr<providers::Provider> provider;
  std::unique_ptr<state::Store> store;
  std::string lab_id;

  // How the provider names machine `node` of this lab (one hypervisor per lab today).
  providers::MachineRef ref(const std::string& node) const;

  // provider->list() as node -> info; also reconciles the record (reconcile() below).
  // Saves the record only if it changed and `save` is set.
  std::map<std::string, providers::MachineInfo> live(bool save);
};

// The record brought in line with the provider's truth: a machine the provider no longer has
// is forgotten (not created, provisioning record dropped, so the next `up` recreates and
// reprovisions it); one it has that the record says is not created is marked created.
// Returns true if `rec` changed. Pure.
bool reconcile(state::LabRecord& rec, const std::map<std::string, providers::MachineInfo>& live);

struct OpenOptions {
  std::string vmfile;    // empty = search the working directory and its parents
  std::string provider;  // empty = VMLAB_PROVIDER, else the Vmfile's (or the lab's own)
};

// Finds and loads the Vmfile, picks the provider (options, VMLAB_PROVIDER, the Vmfile's),
// reads .vmlab/state.json. Creates nothing.
Lab open_lab(const OpenOptions& o);

// A lab known only from the hypervisor's records (`vmlab ls`), whose Vmfile is gone: no
// nodes, the name taken from the id, an empty record that is never loaded. Enough for a
// whole-lab executor::destroy (which removes every machine provider->list() reports).
// Creates nothing.
Lab orphan_lab(const std::string& provider, const std::string& lab_id,
               const std::filesystem::path& project_dir);

}  // namespace vmlab::lab
