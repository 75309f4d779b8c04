#include "executor/phases.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vmlab::executor {

PhaseClock::PhaseClock(std::string first, Clock::time_point now) : start_(now), since_(now) {
  phases_.push_back({std::move(first), 0});
}

void PhaseClock::close(Clock::time_point now) {
  phases_[current_].seconds += std::chrono::duration<double>(now - since_).count();
  since_ = now;
}

void PhaseClock::enter(const std::string& name, Clock::time_point now) {
  if (phases_[current_].name == name) return;
  close(now);
  auto it =
      std::find_if(phases_.begin(), phases_.end(), [&](const Phase& p) { return p.name == name; });
  if (it == phases_.end()) it = phases_.insert(phases_.end(), {name, 0});
  current_ = static_cast<size_t>(it - phases_.begin());
}

void PhaseClock::finish(Clock::time_point now) {
  close(now);
}

double PhaseClock::total() const {
  return std::chrono::duration<double>(since_ - start_).count();
}

std::string format_phases(const std::vector<Phase>& phases, double total) {
  std::string out;
  for (const auto& p : phases) {
    if (p.seconds < 0.05) continue;
    out += fmt::format("{}{} {:.1f}s", out.empty() ? "" : ", ", p.name, p.seconds);
  }
  return out + fmt::format("{}(total {:.1f}s)", out.empty() ? "" : " ", total);
}

std::string phase_field(const std::string& name) {
  std::string f = name;
  std::replace(f.begin(), f.end(), '-', '_');
  return f + "_s";
}

}  // namespace vmlab::executor
