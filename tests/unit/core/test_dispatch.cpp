// The binary answers to its link names (vmup == vmlab up, ...) and picks exit codes.
#include <doctest/doctest.h>

#include <string>

#include "testutil.hpp"

namespace {

vmlab::test::ShellRun run(const std::string& cmd) {
  return vmlab::test::run_shell(cmd + " 2>&1");
}

const std::string kBin = VMLAB_BIN_DIR;

}  // namespace

TEST_CASE("each link name dispatches to its subcommand") {
  const std::pair<const char*, const char*> links[] = {
      {"vmup", "Usage: vmlab up"},           {"vmssh", "Usage: vmlab ssh"},
      {"vmstatus", "Usage: vmlab status"},   {"vmhalt", "Usage: vmlab halt"},
      {"vmdestroy", "Usage: vmlab destroy"}, {"vmprovision", "Usage: vmlab provision"}};
  for (const auto& [link, usage] : links) {
    CAPTURE(link);
    auto r = run(kBin + "/" + link + " --help");
    CHECK(r.code == 0);
    CHECK(r.out.find(usage) != std::string::npos);
  }
}

TEST_CASE("vmlab without a subcommand is a usage error (exit 2)") {
  auto r = run(kBin + "/vmlab");
  CHECK(r.code == 2);
  CHECK(r.out.find("vmlab: error:") != std::string::npos);
}

TEST_CASE("a bad Vmfile through a link name: one line per problem, exit 2, nothing created") {
  vmlab::test::TempDir dir;
  dir.write("Vmfile", "name = \"t\"\n[[node]]\nname = \"a\"\nbox = \"b\"\ncpus = 0\nmemroy = 1\n");
  auto r = run("cd " + dir.path().string() + " && " + kBin + "/vmup");
  CHECK(r.code == 2);
  CHECK(r.out.find("Vmfile:5:") != std::string::npos);
  CHECK(r.out.find("Vmfile:6:") != std::string::npos);
  CHECK(r.out.find("did you mean \"memory\"") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / ".vmlab"));
}

TEST_CASE("vmstatus with no Vmfile says so (exit 2)") {
  vmlab::test::TempDir dir;
  auto r = run("cd " + dir.path().string() + " && " + kBin + "/vmstatus");
  CHECK(r.code == 2);
  CHECK(r.out.find("Vmfile") != std::string::npos);
}

TEST_CASE("--version names vmlab, libvirt and libssh2, from every name") {
  for (const char* name : {"vmlab", "vmup", "vmssh", "vmstatus", "vmdestroy"}) {
    CAPTURE(name);
    auto r = run(kBin + "/" + name + " --version");
    CHECK(r.code == 0);
    CHECK(r.out.rfind(std::string("vmlab ") + VMLAB_VERSION + "\n", 0) == 0);
    CHECK(r.out.find("\nlibvirt ") != std::string::npos);
    CHECK(r.out.find(" (compiled against ") != std::string::npos);
    CHECK(r.out.find("\nlibssh2 ") != std::string::npos);
  }
}
