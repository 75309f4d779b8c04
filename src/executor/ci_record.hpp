#pragma once
// What `vmlab ci` keeps of a run, fed from the reporter's tap: the event stream, each step's
// output, and the results behind the JUnit report. Thread-safe (the tap is called under the
// reporter's lock; the command's lines come from the ci thread).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"

namespace vmlab::executor {

struct CaseResult {
  std::string suite;  // "LAB.NODE" or "LAB.command"
  std::string name;   // "boot", "step NAME (TYPE)", "CMD"
  double seconds = 0;
  enum class Outcome { Passed, Failed, Skipped } outcome = Outcome::Skipped;
  std::string message;  // failure or skip reason
  std::string output;   // the last lines, for <system-out>
};

// The JUnit XML of `cases` (testsuites > testsuite per suite > testcase), with the counts.
std::string junit_xml(const std::string& name, const std::vector<CaseResult>& cases);

class CiRecord {
 public:
  // Opens dir/events.jsonl and dir/command.log (truncating).
  CiRecord(std::filesystem::path dir, const config::Topology& topo);

  // A reporter event line (JSON): appended to events.jsonl; outputs inside a step go to
  // steps/NODE/STEP.log; step and node events become test cases.
  void on_event(const std::string& json_line);
  // One line of CMD's output.
  void command_line(std::string_view line, bool is_stderr);
  void command_result(const std::string& shown, int status, double seconds, bool ran);

  // Every case: boots and steps seen, the steps that never started (skipped, with why;
  // passed when `done_before` says the record has them from an earlier run), the command.
  // Nodes failed before any step get a failed "boot".
  std::vector<CaseResult> cases(
      const std::function<bool(const std::string& node, const std::string& step)>& done_before = {})
      const;
  // Nodes that failed (a "failed" or "step-failed" event).
  std::vector<std::string> failed_nodes() const;

 private:
  struct NodeLog {
    std::optional<double> boot_start, ready;
    std::string current_step;
    std::map<std::string, double> step_start;
    std::vector<CaseResult> steps;
    std::optional<std::string> failure;  // "failed" event message
    std::vector<std::string> tail;       // last output lines of the current step
  };
  void append_step_output(const std::string& node, const std::string& step, const std::string& l);

  std::filesystem::path dir_;
  const config::Topology& topo_;
  mutable std::mutex mu_;
  std::ofstream events_, command_;
  std::map<std::string, NodeLog> nodes_;
  std::map<std::string, std::ofstream> step_files_;  // "node/step"
  std::optional<CaseResult> command_case_;
  std::vector<std::string> command_tail_;
};

}  // namespace vmlab::executor
