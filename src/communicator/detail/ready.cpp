#include <algorithm>
#include <cmath>

#include "communicator/detail/run.hpp"
#include "core/log.hpp"

namespace vmlab::communicator::detail {
using namespace std::chrono_literals;

std::chrono::milliseconds ready_backoff(int attempt) {
  static const std::chrono::milliseconds kSteps[] = {500ms, 1000ms, 2000ms, 3000ms};
  return kSteps[std::clamp(attempt - 1, 0, 3)];
}

Task<Outcome<std::unique_ptr<AsyncSession>>> wait_ready_async(
    asio::io_context& io, SshTarget target, std::chrono::steady_clock::time_point deadline,
    AttemptFn on_attempt) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const std::string who = describe(target);
  Outcome<std::unique_ptr<AsyncSession>> out;
  Failure last{FailureKind::Timeout, msg::connect_timeout(target, 0)};
  auto give_up = [&] {
    double secs = std::round(std::chrono::duration<double>(deadline - start).count() * 10) / 10;
    out.failure = {last.kind, msg::not_ready(target, secs, last.kind, last.message)};
    log::debug("ssh", "{}: giving up: {}", who, out.failure.message);
    return std::move(out);
  };
  for (int attempt = 1;; ++attempt) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining <= 0ms) co_return give_up();
    auto session = std::make_unique<AsyncSession>(io, target);
    log::debug("ssh", "{}: readiness attempt {} (time left {} ms)", who, attempt, remaining.count());
    auto failure = co_await session->connect(std::min<std::chrono::milliseconds>(remaining, 10s));
    if (!failure) {
      log::debug("ssh", "{}: ready after {} attempt(s)", who, attempt);
      out.value = std::move(session);
      co_return out;
    }
    last = *failure;
    if (!is_retriable(last.kind)) {
      out.failure = last;
      co_return out;
    }
    auto delay = ready_backoff(attempt);
    if (on_attempt) on_attempt(Attempt{target.label, attempt, last.kind, last.message, delay});
    // Never sleep past the deadline; the loop head gives up once it has passed.
    asio::steady_timer t(io, std::min(Clock::now() + delay, deadline));
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace vmlab::communicator::detail
