#pragma once
// Every lab on this host, found from the hypervisors' own records (`vmlab ls`), and removing
// the ones whose project directory is gone (`vmlab ls --prune`) with executor::destroy.
#include <string>
#include <vector>

#include "executor/reporter.hpp"

namespace vmlab::executor {

struct HostLab {
  std::string provider;  // name in the provider table
  std::string lab_id;
  std::string project_dir;  // "" when the hypervisor's records do not say (older labs)
  std::string state;        // "running" (every machine), "partly", "halted", "empty" (none)
  size_t nodes = 0;         // machines the hypervisor has
  std::vector<std::string> machine_names;  // their node names
  // The project directory is known and does not exist any more (what --prune removes).
  bool project_gone() const;
};

struct Unreachable {
  std::string provider;
  std::string error;
};

struct HostLabs {
  std::vector<HostLab> labs;             // by provider, then lab id
  std::vector<Unreachable> unreachable;  // providers installed here that did not answer
};

// Asks every provider of the table (Provider::list_labs, one pass each). Read-only.
HostLabs find_host_labs();

// Removes one lab the way `vmlab destroy` does (executor::destroy on lab::orphan_lab):
// every machine the provider lists for it, its networks; nothing of the gone project is
// touched (no lock, no record). Returns false (after reporting) when something failed.
bool prune_lab(const HostLab& lab, Reporter& rep);

}  // namespace vmlab::executor
