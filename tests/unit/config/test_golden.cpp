// Golden JSON of the shipped examples: `vmlab config --json` output, compared after parsing.
// "vmfile" and "project_dir" are machine-specific and removed before comparing.
// To regenerate after an intended change: VMLAB_UPDATE_GOLDEN=1 unit_config_tests, then review.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "config/json.hpp"
#include "config/load.hpp"
#include "config_test_util.hpp"

namespace {

namespace fs = std::filesystem;

nlohmann::json portable_json(const fs::path& vmfile) {
  // k8s_load_options: the example's kubernetes steps are checked even while that
  // provisioner is not implemented.
  const vmlab::config::LoadOptions opts = vmlab::test::k8s_load_options();
  auto j = vmlab::config::to_json(vmlab::config::load(vmfile, opts));
  j.erase("vmfile");
  j.erase("project_dir");
  return j;
}

void check_golden(const fs::path& vmfile, const std::string& golden_name) {
  const fs::path golden = fs::path(VMLAB_TESTDATA) / "config" / golden_name;
  const auto actual = portable_json(vmfile);
  if (const char* up = std::getenv("VMLAB_UPDATE_GOLDEN"); up && std::string(up) == "1") {
    std::ofstream(golden) << actual.dump(2) << "\n";
    MESSAGE("updated " << golden.string());
  }
  std::ifstream in(golden);
  REQUIRE_MESSAGE(in.good(), "missing golden file " << golden.string());
  const auto expected = nlohmann::json::parse(in);
  CHECK_MESSAGE(actual == expected, "diff: " << nlohmann::json::diff(expected, actual).dump());
}

const fs::path kSource = VMLAB_SOURCE_DIR;

}  // namespace

TEST_CASE("golden: Vmfile.example (the Kubernetes lab)") {
  check_golden(kSource / "Vmfile.example", "vmfile-example.json");
}

TEST_CASE("golden: examples/quickstart") {
  check_golden(kSource / "examples/quickstart/Vmfile", "quickstart.json");
}

TEST_CASE("golden: examples/three-node") {
  check_golden(kSource / "examples/three-node/Vmfile", "three-node.json");
}
