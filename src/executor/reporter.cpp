#include "executor/reporter.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "core/settings.hpp"

namespace vmlab::executor {
namespace {

double clock_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void Reporter::set_tap(std::function<void(const std::string&)> tap) {
  std::lock_guard lock(mu_);
  tap_ = std::move(tap);
}

void Reporter::tap(nlohmann::json& j) {
  if (!tap_) return;
  j["t"] = std::round((clock_seconds() - start_) * 1000) / 1000;
  tap_(dump(j));
  j.erase("t");
}

void Reporter::note(const std::string& kind, const std::string& message,
                    const std::map<std::string, std::string>& fields) {
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", kind}, {"message", message}};
  for (const auto& [k, v] : fields) j[k] = v;
  tap(j);
  if (mode_ == OutputMode::Json)
    fmt::print("{}\n", dump(j));
  else
    fmt::print("==> {}\n", message);
  std::fflush(stdout);
}

Reporter::Reporter(bool json, std::vector<std::string> node_names) {
  start_ = clock_seconds();
  mode_ = json ? OutputMode::Json : (isatty(STDOUT_FILENO) ? OutputMode::Tty : OutputMode::Plain);
  color_ = mode_ == OutputMode::Tty && !settings::value("NO_COLOR");
  int i = 0;
  for (const auto& n : node_names) {
    width_ = std::max(width_, n.size());
    colors_[n] = 31 + (i++ % 6);  // red..cyan
  }
}

std::string Reporter::prefix(const std::string& node) const {
  std::string name = fmt::format("{:<{}}", node, width_);
  if (!color_) return name + " | ";
  auto it = colors_.find(node);
  int c = it == colors_.end() ? 37 : it->second;
  return fmt::format("\033[{}m{}\033[0m | ", c, name);
}

void Reporter::lab(const std::string& message) {
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", "lab"}, {"message", message}};
  tap(j);
  if (mode_ == OutputMode::Json)
    fmt::print("{}\n", dump(j));
  else
    fmt::print("==> {}\n", message);
  std::fflush(stdout);
}

void Reporter::event(const std::string& node, const std::string& kind, const std::string& message,
                     const std::map<std::string, std::string>& fields) {
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", kind}, {"node", node}, {"message", message}};
  for (const auto& [k, v] : fields) j[k] = v;
  tap(j);
  if (mode_ == OutputMode::Json) {
    fmt::print("{}\n", dump(j));
  } else {
    fmt::print("{}{}\n", prefix(node), message);
  }
  std::fflush(stdout);
}

void Reporter::warning(const std::string& node, const std::string& message) {
  if (!node.empty()) return event(node, "warning", "warning: " + message);
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", "warning"}, {"message", message}};
  tap(j);
  if (mode_ == OutputMode::Json)
    fmt::print("{}\n", dump(j));
  else
    fmt::print("==> warning: {}\n", message);
  std::fflush(stdout);
}

void Reporter::output(const std::string& node, const std::string& line, bool is_stderr) {
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", "output"},
                   {"node", node},
                   {"stream", is_stderr ? "stderr" : "stdout"},
                   {"line", line}};
  tap(j);
  if (mode_ == OutputMode::Json) {
    fmt::print("{}\n", dump(j));
  } else {
    fmt::print("{}{}\n", prefix(node), line);
  }
  std::fflush(stdout);
}

void Reporter::phases(const std::string& node, const std::vector<Phase>& phases, double total) {
  auto ms = [](double s) { return std::round(s * 1000) / 1000; };
  nlohmann::json j{{"event", "phases"}, {"node", node}, {"message", format_phases(phases, total)}};
  for (const auto& p : phases) j[phase_field(p.name)] = ms(p.seconds);
  j["total_s"] = ms(total);
  std::lock_guard lock(mu_);
  tap(j);  // vmlab ci keeps them in events.jsonl in every mode
  if (mode_ != OutputMode::Json) return;
  fmt::print("{}\n", dump(j));
  std::fflush(stdout);
}

void Reporter::summary(bool ok, const std::vector<std::string>& lines) {
  std::lock_guard lock(mu_);
  nlohmann::json j{{"event", "summary"}, {"ok", ok}, {"lines", lines}};
  tap(j);
  if (mode_ == OutputMode::Json) {
    fmt::print("{}\n", dump(j));
  } else {
    for (const auto& l : lines) fmt::print("{}\n", l);
  }
  std::fflush(stdout);
}

}  // namespace vmlab::executor
