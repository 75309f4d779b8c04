#include "executor/cancel.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "core/children.hpp"
#include "core/error.hpp"

namespace vmlab::executor {
namespace {

std::atomic<int> g_count{0};
std::atomic<int> g_signal{0};
std::atomic<bool> g_escalate{false};

void say(const char* msg, size_t n) {
  (void)!write(STDERR_FILENO, msg, n);
}

#define SAY(literal) say(literal, sizeof literal - 1)

void on_signal(int sig) {
  const int n = ++g_count;
  if (n == 1) {
    g_signal.store(sig);
    if (g_escalate.load())
      SAY("\nvmlab: interrupted: stopping at the next safe point, then the lab is destroyed "
          "(again: end the command at once)\n");
    else
      SAY("\nvmlab: interrupted: stopping at the next safe point (Ctrl-C again to abort)\n");
    return;
  }
  if (n == 2 && g_escalate.load()) {
    children::signal_all(SIGKILL);
    SAY("\nvmlab: aborting: the command was killed; destroying the lab (again: exit at once)\n");
    return;
  }
  children::signal_all(SIGTERM);
  SAY("\nvmlab: aborted: run `vmlab up` to finish or `vmlab destroy` to remove the lab\n");
  _exit(130);
}

#undef SAY

}  // namespace

void install_cancel_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void set_abort_policy(AbortPolicy p) {
  g_escalate.store(p == AbortPolicy::Escalate);
}

bool cancelled() {
  return g_count.load() > 0;
}

bool hard_abort() {
  return g_count.load() > 1;
}

int cancel_signal() {
  return g_signal.load();
}

void request_cancel() {
  int none = 0;
  g_count.compare_exchange_strong(none, 1);
}

void reset_cancel() {
  g_count.store(0);
  g_signal.store(0);
}

void check_cancel() {
  if (cancelled()) throw Interrupted();
}

}  // namespace vmlab::executor
