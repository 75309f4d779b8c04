#pragma once
// A test case that cannot run here says why and is reported as skipped, never as passed:
//   if (!tool_installed) VMLAB_SKIP("xorriso is not installed; cannot read the ISO back");
// prints "SKIP: <reason>" and returns from the test case (use it in the test case's own body,
// or in a macro expanded there). Each test case is its own CTest test
// (tests/discover_tests.cmake); a test binary exits 77, which CTest counts as skipped
// (SKIP_RETURN_CODE), when every test case it ran skipped. Every run lists its skips at the end.
#include <sstream>
#include <string>

namespace vmlab::test {

// Records a skip of the running test case and prints the reason (defined in test_main.cpp).
void record_skip(const std::string& reason);

}  // namespace vmlab::test

#define VMLAB_SKIP(reason)                            \
  do {                                                \
    std::ostringstream vmlab_skip_os_;                \
    vmlab_skip_os_ << reason;                         \
    ::vmlab::test::record_skip(vmlab_skip_os_.str()); \
    return;                                           \
  } while (0)
