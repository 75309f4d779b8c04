#pragma once
// The cross-node provisioning DAG's shared state: each "node:step" and each node moves from
// Pending to Done or Failed once; waiters block until every edge they depend on is settled.
// Edges are validated acyclic by the config stage, so waiting cannot deadlock.
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vmlab::executor {

enum class Settle { Pending, Done, Failed };

class Dag {
 public:
  void set(const std::string& key, Settle s, const std::string& reason = "");
  // Blocks until every key in `edges` is settled (or cancelled() is seen: returns false with
  // reason "interrupted"). Returns false with the first failed edge's reason.
  bool wait(const std::vector<std::string>& edges, std::string& reason);
  Settle get(const std::string& key);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Settle> state_;
  std::map<std::string, std::string> reasons_;
};

}  // namespace vmlab::executor
