// Diagnostic text, ConfigError and the collector.
#include "config/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace vmlab::config {
namespace {

std::string join_lines(const std::vector<Diagnostic>& list) {
  std::string out;
  for (const auto& d : list) {
    if (!out.empty()) out += '\n';
    out += d.str();
  }
  return out;
}

}  // namespace

std::string Diagnostic::str() const {
  if (key_path.empty()) return fmt::format("{}:{}:{}: {}", file, line, col, message);
  return fmt::format("{}:{}:{}: {}: {}", file, line, col, key_path, message);
}

ConfigError::ConfigError(std::string file, std::vector<Diagnostic> diagnostics)
    : UsageError(join_lines(diagnostics)),
      file_(std::move(file)),
      diagnostics_(std::move(diagnostics)) {}

std::string ConfigError::summary() const {
  const auto n = diagnostics_.size();
  return fmt::format("{} problem{} in {}", n, n == 1 ? "" : "s", file_);
}

void Diagnostics::add(SourcePos pos, const std::string& key_path, std::string message) {
  list_.push_back(Diagnostic{file_, pos.line, pos.col, key_path, std::move(message)});
  taint(key_path);
}

bool Diagnostics::tainted(const std::string& key_path) const {
  // A path is tainted when it, or any prefix ending at '.' or '[', was tainted.
  for (std::size_t i = 0; i <= key_path.size(); ++i) {
    if (i == key_path.size() || key_path[i] == '.' || key_path[i] == '[') {
      if (tainted_.count(key_path.substr(0, i))) return true;
    }
  }
  return false;
}

void Diagnostics::throw_if_any() const {
  if (list_.empty()) return;
  auto sorted = list_;
  auto key = [](const Diagnostic& d) { return std::tie(d.line, d.col, d.key_path, d.message); };
  std::stable_sort(sorted.begin(), sorted.end(),
                   [&](const Diagnostic& a, const Diagnostic& b) { return key(a) < key(b); });
  sorted.erase(
      std::unique(sorted.begin(), sorted.end(),
                  [&](const Diagnostic& a, const Diagnostic& b) { return key(a) == key(b); }),
      sorted.end());
  throw ConfigError(file_, std::move(sorted));
}

}  // namespace vmlab::config
