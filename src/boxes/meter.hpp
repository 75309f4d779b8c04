#pragma once
// How a box download shows its progress: on a terminal a bar redrawn in place, otherwise a
// plain line at every 10% (every 10 MiB while the size is unknown). The text is pinned by
// tests/unit/boxes; the caller decides where it goes (stderr, the reporter).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "boxes/fetch.hpp"

namespace vmlab::boxes {

// "1.5 MiB", "310 KiB", "12 B".
std::string byte_count(std::uint64_t n);

// One redraw of the bar (no "\r"): "NAME [#####...............]  25%  2.0/8.0 MiB  1.0 MiB/s".
// total 0: no bar, "NAME  2.0 MiB  1.0 MiB/s". rate < 0: no rate.
std::string meter_bar(const std::string& label, std::uint64_t done, std::uint64_t total,
                      double bytes_per_s);
// One plain line: "downloading NAME: 20% (1.6 MiB of 8.0 MiB)" or "downloading NAME: 10.0 MiB".
std::string meter_line(const std::string& label, std::uint64_t done, std::uint64_t total);

class DownloadMeter {
 public:
  using Sink = std::function<void(const std::string& text)>;
  // tty: `redraw` gets "\r" + bar (and a final "\n" from finish()); else `line` gets lines.
  DownloadMeter(std::string label, bool tty, Sink line, Sink redraw);
  // Shows `p` if it crossed the next step (plain) or a redraw is due (tty).
  void update(const FetchProgress& p);
  // The last state, then the end of the bar. Idempotent.
  void finish();
  // For FetchOptions::progress.
  std::function<bool(const FetchProgress&)> callback();

 private:
  std::string label_;
  bool tty_;
  Sink line_, redraw_;
  FetchProgress last_{};
  bool started_ = false, finished_ = false;
  std::uint64_t next_step_ = 0;  // plain: the next percentage (or byte count) to print at
  std::chrono::steady_clock::time_point t0_;
  std::uint64_t done0_ = 0;
};

}  // namespace vmlab::boxes
