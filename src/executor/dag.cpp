#include "executor/dag.hpp"

#include <chrono>

#include "executor/cancel.hpp"

namespace vmlab::executor {

void Dag::set(const std::string& key, Settle s, const std::string& reason) {
  {
    std::lock_guard lock(mu_);
    state_[key] = s;
    if (!reason.empty()) reasons_[key] = reason;
  }
  cv_.notify_all();
}

Settle Dag::get(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = state_.find(key);
  return it == state_.end() ? Settle::Pending : it->second;
}

bool Dag::wait(const std::vector<std::string>& edges, std::string& reason) {
  std::unique_lock lock(mu_);
  for (const auto& e : edges) {
    for (;;) {
      auto it = state_.find(e);
      Settle s = it == state_.end() ? Settle::Pending : it->second;
      if (s == Settle::Done) break;
      if (s == Settle::Failed) {
        auto r = reasons_.find(e);
        reason = "waits for " + e + (r != reasons_.end() ? ", which " + r->second : ", which failed");
        return false;
      }
      if (cancelled()) {
        reason = "interrupted";
        return false;
      }
      cv_.wait_for(lock, std::chrono::milliseconds(200));
    }
  }
  return true;
}

}  // namespace vmlab::executor
