#pragma once
// Child processes that vmlab starts (ssh-keygen, VBoxManage, `vmlab ci`'s command) each lead
// a process group of their own, so the terminal's Ctrl-C reaches vmlab only, and vmlab decides
// what happens to them: a tool is left to finish (a safe point follows it), the command of
// `vmlab ci` is passed the signal. This registry holds their group ids, so that what must end
// at once (a second Ctrl-C) can signal every one of them from a signal handler.
#include <sys/types.h>

namespace vmlab::children {

// Call in the child between fork and exec (async-signal-safe): it becomes the leader of a
// new process group.
void become_group_leader() noexcept;
// Registers / forgets a child's process group (its pid, the child being the leader).
void add(pid_t group) noexcept;
void remove(pid_t group) noexcept;
// Sends `sig` to every registered group. Async-signal-safe; returns how many were signalled.
int signal_all(int sig) noexcept;

// Registers a group for a scope.
class Registered {
 public:
  explicit Registered(pid_t group) noexcept : group_(group) { add(group_); }
  ~Registered() { remove(group_); }
  Registered(const Registered&) = delete;
  Registered& operator=(const Registered&) = delete;

 private:
  pid_t group_;
};

}  // namespace vmlab::children
