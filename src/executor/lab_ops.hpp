#pragma once
// Lab-wide operations behind the commands: each runs per-node work in parallel, reports
// through the Reporter, and returns false (after reporting) when some node failed.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "executor/connect.hpp"
#include "executor/reporter.hpp"
#include "lab/lab.hpp"
#include "state/lock.hpp"

namespace vmlab::executor {

// Holds the project lock for a mutating command; says who holds it while waiting.
class LockedLab {
 public:
  explicit LockedLab(lab::Lab& lab);

 private:
  std::unique_ptr<state::ProjectLock> lock_;
};

std::vector<std::string> node_names(const config::Topology& topo);

struct UpOptions {
  std::vector<std::string> nodes;  // empty = all
  bool provision = true;           // run provisioners (false: --no-provision)
  bool provision_all = false;      // re-run every step (`vmlab provision`)
  // How long a booted node may lack a lab address before it fails (addresses may appear a
  // moment after sshd answers); unset: $VMLAB_ADDRESS_WAIT seconds (15; 0: no check). Tests
  // shorten it.
  std::optional<std::chrono::milliseconds> address_wait;
};

// Creates, starts, waits for SSH (through `connect`) and provisions, per the plan; one DAG
// across nodes. At most VMLAB_PARALLEL machine operations and as many steps run at once.
bool up(lab::Lab& lab, const UpOptions& opts, Reporter& rep,
        const ConnectFn& connect = ssh_connector());
// Brings the lab's port forwarder (executor/forwards.hpp) in line with the running machines
// in `live`, when the core forwards this provider's ports; reports a failure (false).
bool update_forwards(lab::Lab& lab, const std::map<std::string, providers::MachineInfo>& live,
                     Reporter& rep);
// ACPI shutdown (forced after $VMLAB_HALT_TIMEOUT s, default 60; at once with force), at
// most VMLAB_PARALLEL machines at once.
bool halt(lab::Lab& lab, const std::vector<std::string>& nodes, bool force, Reporter& rep);
// Removes every machine of the lab (also ones no longer in the Vmfile), its networks and
// the .vmlab/ record (all but the lock file and `vmlab ci`'s artifacts/). With `nodes`: only those
// machines and their records (what ran on them); the networks, keys and the other nodes stay, and
// the next `up` creates them afresh.
bool destroy(lab::Lab& lab, Reporter& rep, const std::vector<std::string>& nodes = {});

}  // namespace vmlab::executor
