// The main of every doctest binary: runs the selected test cases and reports skips
// (tests/skip.hpp). Exit code: doctest's on failure; 77 (CTest: skipped) when every test case
// that ran skipped; else 0, with the skipped ones listed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "skip.hpp"

namespace {

std::set<std::string> g_ran;                   // test cases started in this run
std::map<std::string, std::string> g_skipped;  // test case -> reason
std::string g_current;

// Only notes which test case runs; the console reporter still prints everything.
struct SkipListener : doctest::IReporter {
  explicit SkipListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData& tc) override {
    g_current = tc.m_name;
    g_ran.insert(g_current);
  }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};
REGISTER_LISTENER("vmlab-skips", 1, SkipListener);

}  // namespace

void vmlab::test::record_skip(const std::string& reason) {
  g_skipped.emplace(g_current, reason);
  std::printf("SKIP: %s\n", reason.c_str());
  std::fflush(stdout);
}

int main(int argc, char** argv) {
  doctest::Context ctx(argc, argv);
  const int rc = ctx.run();
  if (ctx.shouldExit() || rc != 0 || g_skipped.empty()) return rc;
  std::printf("[vmlab] %zu of %zu test case(s) skipped (they did not run):\n", g_skipped.size(),
              g_ran.size());
  for (const auto& [name, reason] : g_skipped)
    std::printf("  %s: %s\n", name.c_str(), reason.c_str());
  return g_skipped.size() == g_ran.size() ? 77 : 0;
}
