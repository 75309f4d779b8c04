#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/settings.hpp"

namespace vmlab::log {
namespace {

Level initial_level() {
  const std::string v = settings::text("VMLAB_LOG");
  if (v == "debug") return Level::Debug;
  if (v == "info") return Level::Info;
  if (v == "error") return Level::Error;
  return Level::Warn;
}

std::atomic<Level> g_level{initial_level()};
std::mutex g_mu;

}  // namespace

void set_level(Level l) { g_level = l; }
Level level() { return g_level; }

void write(Level l, std::string_view category, std::string_view message) {
  static const char* kNames[] = {"error", "warn", "info", "debug"};
  std::lock_guard lock(g_mu);
  fmt::print(stderr, "vmlab[{}] {}: {}\n", kNames[static_cast<int>(l)], category, message);
}

}  // namespace vmlab::log
