#pragma once
// The planner: desired topology + the provider's truth + the state record -> what `up` must
// do per node. Pure (no I/O besides reading script files for step digests); `vmlab plan`
// prints it, `up` executes it.
#include <map>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "providers/provider.hpp"
#include "state/state.hpp"

namespace vmlab::plan {

struct NodePlan {
  std::string node;
  bool create = false;  // machine does not exist in the hypervisor
  bool start = false;   // exists (or will) but is not running
  std::vector<std::string> steps;  // provisioning steps to run, in order
  std::vector<std::string> skipped_steps;  // already done (run = "once", unchanged)
};

struct Plan {
  std::vector<NodePlan> nodes;  // in Vmfile order, only the selected nodes
  // True when no node needs creating, starting or provisioning: `up` is a no-op.
  bool nothing_to_do() const;
};

// `selected` empty = every node. `live` maps node name -> state (missing = NotCreated).
// With `provision_all`, every step runs regardless of the record (`vmlab provision`).
Plan make_plan(const config::Topology& topo, const std::vector<std::string>& selected,
               const std::map<std::string, providers::MachineState>& live,
               const state::LabRecord& record, bool provision_all);

// Stable digest of a step's definition (and its script/source file content): a "once" step
// re-runs when its definition changed since it last ran.
std::string step_digest(const config::ProvisionStep& step);

// Human-readable plan, one line per node action.
std::vector<std::string> describe(const Plan& p);

// Checks every name in `selected` is a node of the lab; throws UsageError listing them.
void check_selection(const config::Topology& topo, const std::vector<std::string>& selected);

}  // namespace vmlab::plan
