#include "executor/cancel.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include "core/error.hpp"

namespace vmlab::executor {
namespace {

std::atomic<bool> g_cancelled{false};

void on_signal(int) {
  if (g_cancelled.exchange(true)) _exit(130);
  const char msg[] = "\nvmlab: interrupted: stopping at the next safe point (Ctrl-C again to abort)\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
}

}  // namespace

void install_cancel_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool cancelled() { return g_cancelled.load(); }

void request_cancel() { g_cancelled.store(true); }

void reset_cancel() { g_cancelled.store(false); }

void check_cancel() {
  if (cancelled()) throw Interrupted();
}

}  // namespace vmlab::executor
