#include "boxes/meter.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace vmlab::boxes {

namespace {
constexpr int kBarWidth = 24;
constexpr std::uint64_t kUnknownStep = 10ull * 1024 * 1024;  // plain lines without a total
}  // namespace

std::string byte_count(std::uint64_t n) {
  if (n >= 1024ull * 1024 * 1024) return fmt::format("{:.1f} GiB", n / (1024.0 * 1024 * 1024));
  if (n >= 1024ull * 1024) return fmt::format("{:.1f} MiB", n / (1024.0 * 1024));
  if (n >= 1024) return fmt::format("{} KiB", n / 1024);
  return fmt::format("{} B", n);
}

std::string meter_bar(const std::string& label, std::uint64_t done, std::uint64_t total,
                      double rate) {
  const std::string speed =
      rate >= 0 ? fmt::format("  {}/s", byte_count(static_cast<std::uint64_t>(rate))) : "";
  if (total == 0) return fmt::format("{}  {}{}", label, byte_count(done), speed);
  done = std::min(done, total);
  const int pct = static_cast<int>(done * 100 / total);
  const int fill = static_cast<int>(done * kBarWidth / total);
  return fmt::format("{} [{}{}] {:>3}%  {} of {}{}", label, std::string(fill, '#'),
                     std::string(kBarWidth - fill, '.'), pct, byte_count(done), byte_count(total),
                     speed);
}

std::string meter_line(const std::string& label, std::uint64_t done, std::uint64_t total) {
  if (total == 0) return fmt::format("downloading {}: {}", label, byte_count(done));
  done = std::min(done, total);
  return fmt::format("downloading {}: {}% ({} of {})", label, done * 100 / total, byte_count(done),
                     byte_count(total));
}

DownloadMeter::DownloadMeter(std::string label, bool tty, Sink line, Sink redraw)
    : label_(std::move(label)), tty_(tty), line_(std::move(line)), redraw_(std::move(redraw)) {}

void DownloadMeter::update(const FetchProgress& p) {
  const auto now = std::chrono::steady_clock::now();
  if (!started_) {
    started_ = true;
    t0_ = now;
    done0_ = p.resumed_from;
    if (p.resumed_from > 0 && !tty_)
      line_(fmt::format("downloading {}: continuing after {}", label_, byte_count(p.resumed_from)));
  }
  last_ = p;
  if (tty_) {
    const double secs = std::chrono::duration<double>(now - t0_).count();
    const double rate = secs > 0.5 && p.done >= done0_ ? (p.done - done0_) / secs : -1;
    redraw_("\r" + meter_bar(label_, p.done, p.total, rate) + "\033[K");
    return;
  }
  if (p.total > 0) {
    const std::uint64_t pct = std::min<std::uint64_t>(p.done, p.total) * 100 / p.total;
    if (pct < next_step_ || pct == 0) return;
    line_(meter_line(label_, p.done, p.total));
    next_step_ = (pct / 10 + 1) * 10;
  } else if (p.done >= next_step_ + kUnknownStep) {
    line_(meter_line(label_, p.done, 0));
    next_step_ = p.done / kUnknownStep * kUnknownStep;
  }
}

void DownloadMeter::finish() {
  if (finished_ || !started_) return;
  finished_ = true;
  if (tty_) redraw_("\n");
}

std::function<bool(const FetchProgress&)> DownloadMeter::callback() {
  return [this](const FetchProgress& p) {
    update(p);
    return true;
  };
}

}  // namespace vmlab::boxes
