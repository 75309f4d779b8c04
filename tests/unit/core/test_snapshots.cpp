// Whole-lab snapshots, the parts without a hypervisor: snapshot names, the default name, and
// how a restore says what differs between the snapshot's Vmfile and today's.
#include <doctest/doctest.h>

#include "executor/snapshots.hpp"

using vmlab::executor::default_snapshot_name;
using vmlab::executor::valid_snapshot_name;
using vmlab::executor::vmfile_changes;

TEST_CASE("snapshot names") {
  for (const char* ok : {"s1", "before-upgrade", "v1.2_rc", "A"}) CHECK(valid_snapshot_name(ok));
  for (const char* bad : {"", ".hidden", "-x", "a/b", "a b", "ü"})
    CHECK_FALSE(valid_snapshot_name(bad));
  CHECK_FALSE(valid_snapshot_name(std::string(65, 'a')));
  const std::string d = default_snapshot_name();
  CHECK(d.rfind("snap-", 0) == 0);
  CHECK(d.size() == 20);  // snap-YYYYMMDD-HHMMSS
  CHECK(valid_snapshot_name(d));
}

TEST_CASE("what differs between two Vmfiles, line by line") {
  CHECK(vmfile_changes("a\nb\n", "a\nb\n").empty());
  auto c = vmfile_changes("name = \"x\"\nmemory = 256\ncpus = 1\n",
                          "name = \"x\"\nmemory = 512\ncpus = 1\n[[node]]\n");
  REQUIRE(c.size() == 3);
  CHECK(c[0] == "- memory = 256 (line 2 then)");
  CHECK(c[1] == "+ memory = 512 (line 2 now)");
  CHECK(c[2] == "+ [[node]] (line 4 now)");
  std::string many;
  for (int i = 0; i < 30; ++i) many += "line" + std::to_string(i) + "\n";
  auto capped = vmfile_changes("", many, 5);
  REQUIRE(capped.size() == 6);
  CHECK(capped.back() == "... (25 more)");
}
