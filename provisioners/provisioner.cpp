#include "provisioners/provisioner.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "core/error.hpp"
#include "core/log.hpp"
#include "provisioners/outputs.hpp"

namespace vmlab::provisioners {

const config::StepTypes& step_types() {
  static const config::StepTypes kTypes = [] {
    config::StepTypes out;
    for (const auto& e : provisioner_table()) out.push_back(&e.spec);
    return out;
  }();
  return kTypes;
}

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

std::unique_ptr<communicator::Remote> Context::peer(const std::string& name,
                                                    const std::string& needs_step) const {
  if (!peers)
    throw Error("{}: needs a session to node {}, and this run reaches no other node",
                step_title(*this), name);
  return peers->peer(name, needs_step);
}

void Context::publish(const std::string& name, std::string value, bool secret) const {
  if (outputs) outputs->put(node.name, step.name, name, std::move(value), secret);
  log::debug("provision", "{}: published {}{}", step_title(*this), name, secret ? " (secret)" : "");
}

void Context::pause(std::chrono::milliseconds d) const {
  const auto end = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (check_cancel) check_cancel();
    const auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::milliseconds::zero()) return;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(250)));
  }
}

std::optional<std::string> Context::output_of(const std::string& n, const std::string& s,
                                              const std::string& name) const {
  if (!outputs) return std::nullopt;
  return outputs->get(n, s, name);
}

TempFile::TempFile(const std::string& content, const std::string& prefix) {
  namespace fs = std::filesystem;
  std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    throw Error("cannot create a temporary file in {}", fs::temp_directory_path().string());
  ::close(fd);
  path_ = tmpl;
  std::ofstream out(path_, std::ios::binary);
  out << content;
  if (!out.flush()) throw Error("cannot write the temporary file {}", path_.string());
}

TempFile::~TempFile() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

std::string step_title(const Context& ctx) {
  return fmt::format("{} step '{}' on {}", ctx.step.type, ctx.step.name, ctx.node.name);
}

std::unique_ptr<Provisioner> make_provisioner(const std::string& type) {
  std::string known;
  for (const auto& e : provisioner_table()) {
    if (type == e.name() && e.make) return e.make();
    if (e.make) known += (known.empty() ? "" : ", ") + e.name();
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
