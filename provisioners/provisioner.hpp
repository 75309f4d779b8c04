#pragma once
// The provisioner contract. A provisioner makes one ProvisionStep of the Vmfile true on one
// running machine, through the machine's Remote (exec/upload over SSH). The executor calls
// run_step(): probe -> (apply -> re-probe) -> fail loudly. Whether a step runs once or
// always (RunPolicy) and cross-node ordering (`after`) are the executor's business, never a
// provisioner's.
//
// Contract for implementations:
//  - probe() answers "is the step's effect already there?" and MUST NOT change the machine.
//    It may answer Unknown when it cannot tell (e.g. an arbitrary shell script).
//  - apply() makes the effect happen. It must be safe to call again after a failure
//    (scripts shipped by vmlab are `set -eu` and exit early when there is nothing to do).
//    It throws vmlab::Error (or SshError) with a message naming the step and the node;
//    a non-zero exit status is a failure, never ignored.
//  - All remote output goes to ctx.output, line by line, as it arrives.
//  - Provisioners hold no state between calls; one instance may serve many nodes in turn.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "communicator/remote.hpp"
#include "config/model.hpp"

namespace vmlab::provisioners {

enum class ProbeResult { Present, Absent, Unknown };
const char* to_string(ProbeResult r);  // "present" | "absent" | "unknown"

// Receives every output line of a step: node name, the line, whether it came from stderr.
using OutputSink = std::function<void(const std::string& node, std::string_view line, bool is_stderr)>;

struct Context {
  communicator::Remote& remote;        // connected session to the node
  const config::Node& node;
  const config::ProvisionStep& step;
  std::filesystem::path project_dir;   // the Vmfile's directory
  OutputSink output;                   // may be empty (output dropped)

  // ExecOptions that stream into `output`.
  communicator::ExecOptions exec_options() const;
};

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  virtual ProbeResult probe(Context& ctx) = 0;
  virtual void apply(Context& ctx) = 0;
};

struct ProvisionerEntry {
  const char* name;         // the Vmfile's `type`
  const char* description;
  std::unique_ptr<Provisioner> (*make)();
};

// The explicit provisioner table (registry.cpp): shell, file (docker, kubernetes later).
const std::vector<ProvisionerEntry>& provisioner_table();
// Looks a type up; throws UsageError naming the known types.
std::unique_ptr<Provisioner> make_provisioner(const std::string& type);

enum class StepOutcome { AlreadyPresent, Applied };

// probe -> apply -> re-probe. Skips apply when the probe says Present (unless `force`).
// Throws Error when apply fails or when the re-probe still says Absent:
//   "<type> step '<name>' on <node>: applied, but the probe still finds it absent"
StepOutcome run_step(Provisioner& p, Context& ctx, bool force = false);

// "<type> step '<name>' on <node>": the prefix of every provisioner error.
std::string step_title(const Context& ctx);

}  // namespace vmlab::provisioners
