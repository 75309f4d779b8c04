#pragma once
// Values a step hands to the steps that run after it, on its own node or another (a
// Kubernetes join command, a registry address). Named per (node, step, name); a value is
// secret or not.
//
// Secrets are never printed, logged or written to .vmlab/ in clear: they live only in this
// process's memory for the run that made them, and redact() masks them in every output line
// and error text that passes the executor. Non-secret values are also kept in the state
// record (state::StepRecord::outputs), so a step in a later run can read what an earlier run
// published. A consumer of a secret made in an earlier run must recompute it (a secret that
// outlives its run is a secret on disk).
//
// Thread-safe: steps of different nodes run on different threads.
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace vmlab::provisioners {

class StepOutputs {
 public:
  void put(const std::string& node, const std::string& step, const std::string& name,
           std::string value, bool secret);
  // The value, if this run (or, for a non-secret value, an earlier run) published it.
  std::optional<std::string> get(const std::string& node, const std::string& step,
                                 const std::string& name) const;
  // The non-secret values of one step, for the state record.
  std::map<std::string, std::string> public_values(const std::string& node,
                                                   const std::string& step) const;
  // Seeds non-secret values recorded by an earlier run.
  void restore(const std::string& node, const std::string& step,
               const std::map<std::string, std::string>& values);
  // `text` with every secret value (of 4 characters or more) replaced by "<redacted>".
  std::string redact(std::string_view text) const;

 private:
  struct Entry {
    std::string value;
    bool secret = false;
  };
  static std::string key(const std::string& node, const std::string& step, const std::string& name);
  mutable std::mutex mu_;
  std::map<std::string, Entry> values_;  // "node\0step\0name" -> value
  std::set<std::string> secrets_;
};

}  // namespace vmlab::provisioners
