// find_vmfile(): the nearest Vmfile from a directory upwards.
#include <doctest/doctest.h>

#include "config/load.hpp"
#include "testutil.hpp"

using vmlab::config::find_vmfile;
using vmlab::test::TempDir;

TEST_CASE("find_vmfile finds the Vmfile in the directory itself") {
  TempDir dir;
  const auto vmfile = dir.write("Vmfile", "");
  CHECK(find_vmfile(dir.path()) == vmfile);
}

TEST_CASE("find_vmfile walks up to the nearest parent that has one") {
  TempDir dir;
  const auto outer = dir.write("Vmfile", "");
  const auto inner = dir.write("a/Vmfile", "");
  std::filesystem::create_directories(dir / "a/b/c");
  CHECK(find_vmfile(dir / "a/b/c") == inner);
  CHECK(find_vmfile(dir / "a") == inner);
  std::filesystem::create_directories(dir / "x/y");
  CHECK(find_vmfile(dir / "x/y") == outer);
}

TEST_CASE("find_vmfile ignores a directory named Vmfile") {
  TempDir dir;
  const auto vmfile = dir.write("Vmfile", "");
  std::filesystem::create_directories(dir / "a/Vmfile");
  CHECK(find_vmfile(dir / "a") == vmfile);
}

TEST_CASE("find_vmfile without any Vmfile is a usage error") {
  TempDir dir;
  std::filesystem::create_directories(dir / "a");
  if (std::filesystem::exists("/Vmfile") ||
      std::filesystem::exists(dir.path().parent_path() / "Vmfile")) {
    VMLAB_SKIP("a Vmfile exists above the temp dir, so the search would find it");
  }
  try {
    find_vmfile(dir / "a");
    FAIL("expected a UsageError");
  } catch (const vmlab::UsageError& e) {
    CHECK(std::string(e.what()) == "no Vmfile in " + (dir / "a").string() +
                                       " or any parent directory (create one, or pass -f FILE)");
    CHECK(e.code() == vmlab::ExitCode::Usage);
  }
}
