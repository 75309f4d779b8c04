#include "executor/ci_record.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/text_util.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
namespace {

constexpr size_t kTailLines = 30;

void keep_tail(std::vector<std::string>& tail, std::string line) {
  tail.push_back(std::move(line));
  if (tail.size() > kTailLines) tail.erase(tail.begin());
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// A file name for a node or step name (they are [A-Za-z0-9_.-] by validation; be safe).
std::string file_part(const std::string& s) {
  std::string out;
  for (char c : s)
    out +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return out.empty() || out == "." || out == ".." ? "_" : out;
}

}  // namespace

std::string junit_xml(const std::string& name, const std::vector<CaseResult>& cases) {
  struct Counts {
    size_t tests = 0, failures = 0, skipped = 0;
    double time = 0;
    void add(const CaseResult& c) {
      ++tests;
      failures += c.outcome == CaseResult::Outcome::Failed;
      skipped += c.outcome == CaseResult::Outcome::Skipped;
      time += c.seconds;
    }
  };
  std::vector<std::string> order;
  std::map<std::string, std::vector<const CaseResult*>> suites;
  Counts all;
  for (const auto& c : cases) {
    if (!suites.count(c.suite)) order.push_back(c.suite);
    suites[c.suite].push_back(&c);
    all.add(c);
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format(
      "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
      "time=\"{:.3f}\">\n",
      util::xml_escape(name), all.tests, all.failures, all.skipped, all.time);
  for (const auto& s : order) {
    Counts n;
    for (const auto* c : suites[s]) n.add(*c);
    out += fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
        "time=\"{:.3f}\">\n",
        util::xml_escape(s), n.tests, n.failures, n.skipped, n.time);
    for (const auto* c : suites[s]) {
      out += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\"",
                         util::xml_escape(s), util::xml_escape(c->name), c->seconds);
      std::string body;
      if (c->outcome == CaseResult::Outcome::Failed)
        body += fmt::format("      <failure message=\"{}\"/>\n", util::xml_escape(c->message));
      else if (c->outcome == CaseResult::Outcome::Skipped)
        body += fmt::format("      <skipped message=\"{}\"/>\n", util::xml_escape(c->message));
      if (!c->output.empty())
        body += fmt::format("      <system-out>{}</system-out>\n", util::xml_escape(c->output));
      out += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

CiRecord::CiRecord(fs::path dir, const config::Topology& topo) : dir_(std::move(dir)), topo_(topo) {
  fs::create_directories(dir_);
  events_.open(dir_ / "events.jsonl", std::ios::trunc);
  command_.open(dir_ / "command.log", std::ios::trunc);
}

void CiRecord::append_step_output(const std::string& node, const std::string& step,
                                  const std::string& line) {
  const std::string key = node + "/" + step;
  auto it = step_files_.find(key);
  if (it == step_files_.end()) {
    const fs::path p = dir_ / "steps" / file_part(node) / (file_part(step) + ".log");
    fs::create_directories(p.parent_path());
    it = step_files_.emplace(key, std::ofstream(p, std::ios::trunc)).first;
  }
  it->second << line << '\n';
  it->second.flush();
}

void CiRecord::on_event(const std::string& json_line) {
  std::lock_guard lock(mu_);
  events_ << json_line << '\n';
  events_.flush();
  const auto j = nlohmann::json::parse(json_line, nullptr, false);
  if (!j.is_object()) return;
  const std::string kind = j.value("event", "");
  const std::string node = j.value("node", "");
  if (node.empty() || !topo_.find_node(node)) return;  // lab events, the command's output
  const double t = j.value("t", 0.0);
  NodeLog& n = nodes_[node];
  const std::string step = j.value("step", "");
  if (kind == "creating" || kind == "starting") {
    if (!n.boot_start) n.boot_start = t;
  } else if (kind == "ready") {
    if (!n.ready) n.ready = t;
  } else if (kind == "output") {
    const std::string line = j.value("line", "");
    if (!n.current_step.empty()) append_step_output(node, n.current_step, line);
    keep_tail(n.tail, line);
  } else if (kind == "step-start") {
    n.current_step = step;
    n.step_start[step] = t;
    n.tail.clear();
  } else if (kind == "step-done" || kind == "step-failed") {
    const config::Node* cn = topo_.find_node(node);
    std::string type;
    for (const auto& s : cn->provision)
      if (s.name == step) type = s.type;
    CaseResult c;
    c.suite = topo_.name + "." + node;
    c.name = fmt::format("step {} ({})", step, type);
    c.seconds = n.step_start.count(step) ? t - n.step_start[step] : 0;
    c.outcome = kind == "step-done" ? CaseResult::Outcome::Passed : CaseResult::Outcome::Failed;
    if (kind == "step-failed") {
      c.message = j.value("message", "");
      if (!n.failure) n.failure = c.message;
    }
    c.output = joined(n.tail);
    n.steps.push_back(std::move(c));
    n.current_step.clear();
    n.tail.clear();
  } else if (kind == "failed") {
    if (!n.failure) n.failure = j.value("message", "");
  }
}

void CiRecord::command_line(std::string_view line, bool is_stderr) {
  std::lock_guard lock(mu_);
  command_ << (is_stderr ? "[stderr] " : "") << line << '\n';
  command_.flush();
  keep_tail(command_tail_, std::string(line));
}

void CiRecord::command_result(const std::string& shown, int status, double seconds, bool ran) {
  std::lock_guard lock(mu_);
  CaseResult c;
  c.suite = topo_.name + ".command";
  c.name = shown;
  c.seconds = seconds;
  if (!ran) {
    c.outcome = CaseResult::Outcome::Skipped;
    c.message = "not run: the lab did not come up";
  } else if (status == 0) {
    c.outcome = CaseResult::Outcome::Passed;
  } else {
    c.outcome = CaseResult::Outcome::Failed;
    c.message = status > 128 && status < 160 ? fmt::format("ended by signal {}", status - 128)
                                             : fmt::format("exit status {}", status);
  }
  c.output = joined(command_tail_);
  command_case_ = std::move(c);
}

std::vector<CaseResult> CiRecord::cases(
    const std::function<bool(const std::string&, const std::string&)>& done_before) const {
  std::lock_guard lock(mu_);
  std::vector<CaseResult> out;
  for (const auto& node : topo_.nodes) {
    const std::string suite = topo_.name + "." + node.name;
    auto it = nodes_.find(node.name);
    const NodeLog empty;
    const NodeLog& n = it == nodes_.end() ? empty : it->second;
    CaseResult boot;
    boot.suite = suite;
    boot.name = "boot";
    if (n.ready) {
      boot.outcome = CaseResult::Outcome::Passed;
      boot.seconds = *n.ready - n.boot_start.value_or(*n.ready);
      out.push_back(boot);
    } else if (n.boot_start) {
      boot.outcome = n.failure ? CaseResult::Outcome::Failed : CaseResult::Outcome::Skipped;
      boot.message = n.failure.value_or("interrupted before SSH answered");
      boot.output = n.steps.empty() ? joined(n.tail) : "";
      out.push_back(boot);
    }
    for (const auto& s : node.provision) {
      const CaseResult* seen = nullptr;
      for (const auto& c : n.steps)
        if (c.name == fmt::format("step {} ({})", s.name, s.type)) seen = &c;
      if (seen) {
        out.push_back(*seen);
        continue;
      }
      CaseResult c;
      c.suite = suite;
      c.name = fmt::format("step {} ({})", s.name, s.type);
      if (done_before && done_before(node.name, s.name)) {
        c.outcome = CaseResult::Outcome::Passed;
        c.output = "done by an earlier run (the provisioning record has it)\n";
      } else {
        c.outcome = CaseResult::Outcome::Skipped;
        c.message = n.failure ? "not run: " + *n.failure : "not run";
      }
      out.push_back(std::move(c));
    }
  }
  if (command_case_) out.push_back(*command_case_);
  return out;
}

std::vector<std::string> CiRecord::failed_nodes() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [node, n] : nodes_)
    if (n.failure) out.push_back(node);
  return out;
}

}  // namespace vmlab::executor
