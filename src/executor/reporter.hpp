#pragma once
// The one place user-facing progress is printed. Three modes: a terminal gets per-node
// prefixes in colour (NO_COLOR honoured), a pipe gets the same lines plain, --json gets one
// JSON object per line ({"event":..., "node":..., ...}). Thread-safe.
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "executor/phases.hpp"

namespace vmlab::executor {

enum class OutputMode { Tty, Plain, Json };

class Reporter {
 public:
  // json=true forces Json; otherwise Tty when stdout is a terminal, else Plain.
  explicit Reporter(bool json, std::vector<std::string> node_names = {});

  OutputMode mode() const { return mode_; }
  // A lab-level progress message ("creating networks").
  void lab(const std::string& message);
  // A node's progress event: kind is a short verb ("created", "running", "ready",
  // "step-start", "step-done", "step-failed", ...), message the human text.
  void event(const std::string& node, const std::string& kind, const std::string& message,
             const std::map<std::string, std::string>& fields = {});
  // A warning (from the core or the provider): "warning: MESSAGE" with the node's prefix, or
  // "==> warning: MESSAGE" for the lab (node ""); in JSON {"event":"warning",...}.
  void warning(const std::string& node, const std::string& message);
  // One line of a remote command's output.
  void output(const std::string& node, const std::string& line, bool is_stderr);
  // Where a node's time went, in JSON only ({"event":"phases","node":...,"message":"boot
  // 41.2s, ... (total 59.0s)","boot_s":41.2,...,"total_s":59.0}, seconds rounded to ms);
  // the plain and terminal output carry the same text in the summary instead.
  void phases(const std::string& node, const std::vector<Phase>& phases, double total);
  // Final summary lines (printed as they are; in JSON as {"event":"summary",...}).
  void summary(bool ok, const std::vector<std::string>& lines);
  // A lab-level event of a kind: "==> MESSAGE" on a terminal or pipe, in JSON
  // {"event": kind, "message": ..., fields...} (vmlab ci's own events).
  void note(const std::string& kind, const std::string& message,
            const std::map<std::string, std::string>& fields = {});
  // Also hands every event, in every mode, to `tap` as the JSON line --json prints plus "t"
  // (seconds since this reporter was made): vmlab ci keeps them as its artifacts. Called
  // under the reporter's lock, in order. Set it before the run starts.
  void set_tap(std::function<void(const std::string& json_line)> tap);

 private:
  void tap(nlohmann::json& j);
  std::string prefix(const std::string& node) const;
  OutputMode mode_;
  bool color_ = false;
  size_t width_ = 0;
  std::map<std::string, int> colors_;
  std::function<void(const std::string&)> tap_;
  double start_ = 0;  // steady clock, seconds
  std::mutex mu_;
};

}  // namespace vmlab::executor
