#include "provisioners/provisioner.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::provisioners {

const char* to_string(ProbeResult r) {
  switch (r) {
    case ProbeResult::Present: return "present";
    case ProbeResult::Absent: return "absent";
    case ProbeResult::Unknown: return "unknown";
  }
  return "unknown";
}

communicator::ExecOptions Context::exec_options() const {
  communicator::ExecOptions o;
  if (output) {
    const std::string node_name = node.name;
    OutputSink sink = output;
    o.on_stdout_line = [sink, node_name](std::string_view l) { sink(node_name, l, false); };
    o.on_stderr_line = [sink, node_name](std::string_view l) { sink(node_name, l, true); };
  }
  return o;
}

std::string step_title(const Context& ctx) {
  return fmt::format("{} step '{}' on {}", ctx.step.type, ctx.step.name, ctx.node.name);
}

std::unique_ptr<Provisioner> make_provisioner(const std::string& type) {
  std::string known;
  for (const auto& e : provisioner_table()) {
    if (type == e.name) return e.make();
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  }
  throw UsageError(fmt::format("unknown provisioner type '{}' (known: {})", type, known));
}

StepOutcome run_step(Provisioner& p, Context& ctx, bool force) {
  const std::string title = step_title(ctx);
  ProbeResult before = p.probe(ctx);
  log::debug("provision", "{}: probe says {}", title, to_string(before));
  if (before == ProbeResult::Present && !force) return StepOutcome::AlreadyPresent;
  p.apply(ctx);
  ProbeResult after = p.probe(ctx);
  log::debug("provision", "{}: re-probe says {}", title, to_string(after));
  if (after == ProbeResult::Absent)
    throw Error(fmt::format("{}: applied, but the probe still finds it absent", title));
  return StepOutcome::Applied;
}

}  // namespace vmlab::provisioners
