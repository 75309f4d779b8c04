#pragma once
// Levelled, categorised logging to stderr. User-facing progress goes through the reporter
// (executor/reporter.hpp), not here. Every hypervisor call and remote command is logged at
// debug with its arguments (secrets never: callers pass redacted text).
#include <fmt/format.h>

#include <string_view>

namespace vmlab::log {

enum class Level { Error = 0, Warn = 1, Info = 2, Debug = 3 };

void set_level(Level l);  // from -v / -vv or VMLAB_LOG=debug|info|warn
Level level();
void write(Level l, std::string_view category, std::string_view message);

template <typename... Args>
void debug(std::string_view cat, fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Debug) write(Level::Debug, cat, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(std::string_view cat, fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Info) write(Level::Info, cat, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view cat, fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Warn) write(Level::Warn, cat, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace vmlab::log
