// The contract's shared parts: state names, the "not supported" snapshot defaults, warnings.
#include "providers/provider.hpp"

#include <regex>

#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::providers {

const char* to_string(MachineState s) {
  switch (s) {
    case MachineState::NotCreated: return "not created";
    case MachineState::Stopped: return "stopped";
    case MachineState::Running: return "running";
    case MachineState::Paused: return "paused";
    case MachineState::Unknown: break;
  }
  return "unknown";
}

const char* to_string(CheckLevel l) {
  switch (l) {
    case CheckLevel::Ok:
      return "ok";
    case CheckLevel::Warn:
      return "warn";
    case CheckLevel::Fail:
      break;
  }
  return "fail";
}

GuestMount Provider::sync_mount(const config::Node& node, std::size_t /*index*/) const {
  throw ProviderError("{}: this provider cannot mount synced folders", node.name);
}

std::optional<std::pair<std::string, std::string>> split_backend_name(const std::string& name) {
  static const std::regex re("^vmlab-(.+?-[0-9a-f]{6})-(.+)$");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return std::nullopt;
  return std::pair{m[1].str(), m[2].str()};
}

namespace {
[[noreturn]] void no_snapshots(const MachineRef& m) {
  throw ProviderError("{}: this provider does not support snapshots", m.node);
}
}  // namespace

void Provider::snapshot_save(const MachineRef& m, const std::string&) { no_snapshots(m); }
void Provider::snapshot_restore(const MachineRef& m, const std::string&) { no_snapshots(m); }
std::vector<SnapshotInfo> Provider::snapshot_list(const MachineRef& m) { no_snapshots(m); }
void Provider::snapshot_delete(const MachineRef& m, const std::string&) { no_snapshots(m); }
void Provider::pause(const MachineRef& m) {
  no_snapshots(m);
}
void Provider::resume(const MachineRef& m) {
  no_snapshots(m);
}

void Provider::warn(const std::string& node, const std::string& message) const {
  if (warning_sink_) {
    warning_sink_(node, message);
  } else if (node.empty()) {
    log::warn("provider", "{}", message);
  } else {
    log::warn("provider", "{}: {}", node, message);
  }
}

}  // namespace vmlab::providers
