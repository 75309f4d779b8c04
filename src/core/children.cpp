#include "core/children.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace vmlab::children {
namespace {

// A fixed table of lock-free slots: a signal handler may read it at any moment. More than
// 64 children at once (VMLAB_PARALLEL is bounded far below) are still run, just not tracked.
constexpr int kSlots = 64;
std::atomic<pid_t> g_groups[kSlots];
static_assert(std::atomic<pid_t>::is_always_lock_free);

}  // namespace

void become_group_leader() noexcept {
  ::setpgid(0, 0);
}

void add(pid_t group) noexcept {
  if (group <= 0) return;
  for (auto& slot : g_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, group)) return;
  }
}

void remove(pid_t group) noexcept {
  if (group <= 0) return;
  for (auto& slot : g_groups) {
    pid_t expected = group;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

int signal_all(int sig) noexcept {
  int n = 0;
  for (auto& slot : g_groups) {
    const pid_t g = slot.load();
    if (g > 0 && ::kill(-g, sig) == 0) ++n;
  }
  return n;
}

}  // namespace vmlab::children
