#pragma once
// Where the time of one node's `up` went: a clock that is always in exactly one phase
// (queued, create, boot, cloud-init, wait, ssh, steps, ...), so the phases add up to the
// node's total by construction. Printed in the summary and as a `phases` JSON event.
#include <chrono>
#include <string>
#include <vector>

namespace vmlab::executor {

struct Phase {
  std::string name;  // "boot", "cloud-init", ...
  double seconds = 0;
};

class PhaseClock {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PhaseClock(std::string first, Clock::time_point now = Clock::now());

  // The time since the current phase began goes to it; `name` begins now. Entering the
  // current phase again changes nothing; a phase entered twice accumulates.
  void enter(const std::string& name, Clock::time_point now = Clock::now());
  // Closes the current phase; phases() and total() are final after it.
  void finish(Clock::time_point now = Clock::now());

  // In the order first entered; each phase once.
  const std::vector<Phase>& phases() const { return phases_; }
  double total() const;

 private:
  void close(Clock::time_point now);
  std::vector<Phase> phases_;
  size_t current_ = 0;
  Clock::time_point start_, since_;
};

// "create 0.3s, boot 41.2s, cloud-init 12.0s, steps 5.5s (total 59.0s)": phases shorter than
// 0.05 s are left out of the text (never out of the total).
std::string format_phases(const std::vector<Phase>& phases, double total);

// The JSON field of a phase: "cloud-init" -> "cloud_init_s".
std::string phase_field(const std::string& name);

}  // namespace vmlab::executor
