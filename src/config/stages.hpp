#pragma once
// Internal to src/config: the three stages of load() and what passes between them.
//   parse    (parse.cpp)     text -> Raw            TOML syntax, types, unknown keys, {vars.X}
//   resolve  (defaults.cpp,  Raw -> Resolved        defaults, groups, sizes, addresses, steps
//             provision.cpp)
//   validate (validate.cpp)  Resolved -> ok         cross-node rules: names, IPs, ports, order
// Every stage reports into one Diagnostics and carries on with what did parse.
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/raw.hpp"
#include "config/step_type.hpp"

namespace vmlab::config {

Raw parse_vmfile(std::string_view text, const std::string& source_name, Diagnostics& diag);

// Where each resolved item came from, so validate can point at the file.
struct NodeOrigin {
  const RawNode* raw = nullptr;
  std::vector<const RawItem*> ip;          // one per Topology address
  std::vector<const RawForward*> forward;  // one per Topology forward
  // Steps map 1:1 to raw->provision.
};

struct Resolved {
  Topology topo;
  std::vector<NodeOrigin> origin;  // one per topo.nodes entry
  std::vector<const RawNetwork*> network_origin;
  bool all_networks_valid = true;  // false: skip "outside every network" checks
};

// Raw -> Topology with every default applied. `vmfile` is absolute; `provider` is the
// override already chosen by load() (empty: the file's, else "libvirt").
Resolved resolve(const Raw& raw, const std::filesystem::path& vmfile, const std::string& provider,
                 const StepTypes& types, Diagnostics& diag);

// One raw step through its type of the provisioner table (provision.cpp).
ProvisionStep resolve_step(const RawStep& raw, const std::filesystem::path& project_dir,
                           const StepTypes& types, Diagnostics& diag);
// Default step names ("shell", or "shell-1", "shell-2" when the type repeats) and duplicates.
void name_steps(const RawNode& raw, std::vector<ProvisionStep>& steps, Diagnostics& diag);
// Synced folders (sync.cpp): each entry checked on its own (and for a guest path repeated in
// the same list); node_syncs() = defaults then own, a guest path of both reported at the own.
struct SyncEntry {
  SyncFolder folder;
  std::string key;  // "node[0].sync[1]"
  SourcePos guest_pos;
};
std::vector<SyncEntry> resolve_syncs(const std::vector<RawSync>& raw,
                                     const std::filesystem::path& project_dir, Diagnostics& diag);
std::vector<SyncFolder> node_syncs(const std::vector<SyncEntry>& defaults,
                                   const std::vector<SyncEntry>& own, Diagnostics& diag);
// Every type's cross-node hook (StepType::derive), once, after all nodes are resolved.
void derive_steps(Resolved& r, const StepTypes& types, Diagnostics& diag);

void validate(const Raw& raw, const Resolved& r, Diagnostics& diag);
void check_order(const Resolved& r, Diagnostics& diag);  // order.cpp, called by validate

// "libvirt", "virtualbox": the providers a Vmfile or an override may name.
const std::vector<std::string>& known_providers();

}  // namespace vmlab::config
