#pragma once
// What every lab command starts from: the Vmfile loaded and validated, the provider chosen
// from the table, the state record read, and the lab id fixed.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "config/model.hpp"
#include "providers/provider.hpp"
#include "state/state.hpp"

namespace vmlab::cli {

struct Lab {
  config::Topology topo;
  std::unique_ptr<providers::Provider> provider;
  std::unique_ptr<state::Store> store;
  std::string lab_id;

  // provider->list() as node -> info; also reconciles the record: a machine the provider no
  // longer has is marked not created and its provisioning record dropped (the next `up`
  // recreates and reprovisions it). Saves the record only if it changed and `save` is set.
  std::map<std::string, providers::MachineInfo> live(bool save);
};

// Finds and loads the Vmfile (-f, else cwd and parents), picks the provider (--provider,
// VMLAB_PROVIDER, the Vmfile's), reads .vmlab/state.json. Creates nothing.
Lab open_lab(const GlobalOptions& g);

}  // namespace vmlab::cli
