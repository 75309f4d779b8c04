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
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "communicator/remote.hpp"
#include "config/model.hpp"
#include "config/step_type.hpp"

namespace vmlab::provisioners {

enum class ProbeResult { Present, Absent, Unknown };
const char* to_string(ProbeResult r);  // "present" | "absent" | "unknown"

// Receives every output line of a step: node name, the line, whether it came from stderr.
using OutputSink = std::function<void(const std::string& node, std::string_view line, bool is_stderr)>;

// Sessions to the other nodes of the lab, for steps that need one (a worker fetching a join
// command from the control plane). The executor implements it from its session pool.
class Peers {
 public:
  virtual ~Peers() = default;
  // A connected Remote to `node` of this lab (pinned host key), held exclusively by the
  // caller until the handle is dropped; connected lazily, then reused. When `needs_step` is
  // given, that step of `node` must have run (in this run or an earlier one). Throws Error
  // naming the node and what to run when it is not in the lab, not created, not running or
  // not provisioned ("... run `vmup m-k8s`").
  virtual std::unique_ptr<communicator::Remote> peer(const std::string& node,
                                                     const std::string& needs_step = "") = 0;
};

class StepOutputs;  // outputs.hpp

struct Context {
  communicator::Remote& remote;        // connected session to the node
  const config::Node& node;
  const config::ProvisionStep& step;
  std::filesystem::path project_dir;   // the Vmfile's directory
  OutputSink output;                   // may be empty (output dropped)
  const config::Topology* topo = nullptr;  // the whole lab (null in single-node tests)
  Peers* peers = nullptr;                  // null: this run reaches no other node
  StepOutputs* outputs = nullptr;          // null: values are not handed on
  // Throws vmlab::Interrupted after a Ctrl-C (the executor's safe point); may be empty.
  std::function<void()> check_cancel;

  // ExecOptions that stream into `output`.
  communicator::ExecOptions exec_options() const;
  // peers->peer(), or an Error saying this run cannot reach other nodes.
  std::unique_ptr<communicator::Remote> peer(const std::string& node,
                                             const std::string& needs_step = "") const;
  // Hands a value to later steps as (this node, this step, name). A secret is never printed,
  // logged or stored on disk; the executor masks it in output.
  void publish(const std::string& name, std::string value, bool secret) const;
  // A value published by step `step` of `node` (this run, or non-secret from an earlier one).
  std::optional<std::string> output_of(const std::string& node, const std::string& step,
                                       const std::string& name) const;
  // Sleeps `d` in short slices, each a safe point (check_cancel): a step that polls (a worker
  // waiting for its control plane) stops at the first Ctrl-C instead of at its deadline.
  void pause(std::chrono::milliseconds d) const;
};

class Provisioner {
 public:
  virtual ~Provisioner() = default;
  virtual ProbeResult probe(Context& ctx) = 0;
  virtual void apply(Context& ctx) = 0;
};

// One row of the provisioner table: what the Vmfile language needs of the type (its keys,
// resolve hook, cross-node rules, digest: config::StepType) and how to make the provisioner
// that runs it. `make` is null for a type the language knows but this build cannot run
// (its spec says implemented = false; such steps are a validate error).
struct ProvisionerEntry {
  const config::StepType& spec;
  std::unique_ptr<Provisioner> (*make)();
  const std::string& name() const { return spec.name; }
};

// The explicit provisioner table (registry.cpp). Adding a provisioner = one folder under
// provisioners/ (its StepType and its Provisioner) plus one line there.
const std::vector<ProvisionerEntry>& provisioner_table();
// The table's specs, for config::LoadOptions::step_types.
const config::StepTypes& step_types();
// Looks a type up; throws UsageError naming the known types.
std::unique_ptr<Provisioner> make_provisioner(const std::string& type);

enum class StepOutcome { AlreadyPresent, Applied };

// probe -> apply -> re-probe. Skips apply when the probe says Present (unless `force`).
// Throws Error when apply fails or when the re-probe still says Absent:
//   "<type> step '<name>' on <node>: applied, but the probe still finds it absent"
StepOutcome run_step(Provisioner& p, Context& ctx, bool force = false);

// "<type> step '<name>' on <node>": the prefix of every provisioner error.
std::string step_title(const Context& ctx);

// A local file holding `content` for an upload: a unique name (mkstemp, mode 0600) in the temp
// directory, removed when it goes out of scope. Steps of several nodes run at once in one
// process, so a name made from the pid alone would be shared between them.
class TempFile {
 public:
  TempFile(const std::string& content, const std::string& prefix);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace vmlab::provisioners
