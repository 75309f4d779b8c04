#pragma once
// Internal to src/config: the collector every stage reports into. A stage never stops at the
// first problem; it records the problem and carries on with the values that did parse.
// Key paths whose value was rejected are "tainted", so later stages skip checks on them
// instead of reporting the same mistake twice.
#include <set>
#include <string>
#include <vector>

#include "config/load.hpp"

namespace vmlab::config {

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  // Records a problem at `pos` and taints `key_path`.
  void add(SourcePos pos, const std::string& key_path, std::string message);
  void taint(const std::string& key_path) { tainted_.insert(key_path); }
  // True when `key_path` or one of its parents ("node[0]" for "node[0].ip") was rejected.
  bool tainted(const std::string& key_path) const;
  bool empty() const { return list_.empty(); }
  const std::string& file() const { return file_; }
  // Throws ConfigError (sorted by line:col, duplicates removed) when anything was recorded.
  void throw_if_any() const;

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
  std::set<std::string> tainted_;
};

}  // namespace vmlab::config
