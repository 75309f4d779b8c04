#pragma once
// Runs fn(item) for every item on at most `max_parallel` threads at once and collects the
// failures (item -> message) instead of stopping at the first: independent nodes finish.
#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace vmlab::executor {

template <typename Fn>
std::map<std::string, std::string> parallel_for(const std::vector<std::string>& items,
                                                size_t max_parallel, Fn&& fn) {
  std::map<std::string, std::string> failures;
  std::mutex mu;
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < items.size(); i = next++) {
      try {
        fn(items[i]);
      } catch (const std::exception& e) {
        std::lock_guard lock(mu);
        failures[items[i]] = e.what();
      }
    }
  };
  {
    // Workers share the items, so fewer threads only means less parallelism: a thread that
    // cannot be started is skipped (jthread joins the others on every path), and with none
    // the caller's thread does the work.
    std::vector<std::jthread> threads;
    size_t n = std::max<size_t>(1, std::min(max_parallel, items.size()));
    for (size_t t = 0; t < n; ++t) {
      try {
        threads.emplace_back(worker);
      } catch (const std::system_error&) {
        break;
      }
    }
    if (threads.empty()) worker();
  }
  return failures;
}

// Parallelism for machine operations: $VMLAB_PARALLEL, else 4.
size_t default_parallelism();

}  // namespace vmlab::executor
