#pragma once
// INTERNAL: helpers shared by the synchronous session and the pool: run a coroutine to
// completion on an io_context, and the wait-until-reachable loop.
#include <utility>  // Boost 1.74 Asio needs std::exchange declared first (GCC 12)

#include <boost/asio/co_spawn.hpp>
#include <exception>

#include "communicator/detail/async_session.hpp"
#include "communicator/ssh_session.hpp"

namespace vmlab::communicator::detail {

// Runs `task` on `io` (in this thread) until it and everything it started has finished.
// Rethrows what the coroutine threw.
template <typename T>
T run_sync(asio::io_context& io, Task<T> task) {
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) result.emplace(std::move(v));
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_sync(asio::io_context& io, Task<void> task) {
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) { error = e; });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

// Backoff between readiness attempts: 0.5 s, 1 s, 2 s, then 3 s.
std::chrono::milliseconds ready_backoff(int attempt);

// Connect attempts on `io` until success (the connected session), a fatal failure, or the
// deadline (failure message: msg::not_ready).
Task<Outcome<std::unique_ptr<AsyncSession>>> wait_ready_async(
    asio::io_context& io, SshTarget target, std::chrono::steady_clock::time_point deadline,
    AttemptFn on_attempt);

}  // namespace vmlab::communicator::detail
