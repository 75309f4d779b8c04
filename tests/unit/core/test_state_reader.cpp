// Reading .vmlab/state.json (state::record_from_text): what tests/fuzz/fuzz_state found.
#include <doctest/doctest.h>

#include "core/error.hpp"
#include "state/state.hpp"

TEST_CASE("state: an ssh_port that is not an integer port is an error naming the file") {
  // 1e300 was read as an int: undefined behaviour (UBSan: float-cast overflow).
  CHECK_THROWS_WITH_AS(
      vmlab::state::record_from_text(R"({"machines": {"a": {"ssh_port": 1e300}}})", "state.json"),
      "cannot read state.json: machine \"a\": ssh_port 1e+300 is not a port number", vmlab::Error);
  for (const char* bad : {"22.5", "-1", "65536", "18446744073709551615", "\"22\""}) {
    CAPTURE(bad);
    const std::string text = std::string(R"({"machines": {"a": {"ssh_port": )") + bad + "}}}";
    CHECK_THROWS_AS(vmlab::state::record_from_text(text, "state.json"), vmlab::Error);
  }
}

TEST_CASE("state: ssh_port 0..65535 and a missing one read as written") {
  const auto r = vmlab::state::record_from_text(
      R"({"machines": {"a": {"ssh_port": 2222}, "b": {"ssh_port": 0}, "c": {}}})", "state.json");
  CHECK(r.machines.at("a").ssh_port == 2222);
  CHECK(r.machines.at("b").ssh_port == 0);
  CHECK(r.machines.at("c").ssh_port == 0);
  CHECK(vmlab::state::record_from_text(vmlab::state::record_text(r), "again")
            .machines.at("a")
            .ssh_port == 2222);
}
