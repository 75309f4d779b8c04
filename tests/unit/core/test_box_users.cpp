// executor::box_users: which labs the hypervisors list still have machines made from a box,
// from each project's record (and its Vmfile for records that predate the box field).
#include <doctest/doctest.h>

#include "executor/box_users.hpp"
#include "testutil.hpp"

using namespace vmlab;

namespace {

executor::HostLab host_lab(const std::string& id, const std::string& dir,
                           std::vector<std::string> machines) {
  executor::HostLab l;
  l.provider = "libvirt";
  l.lab_id = id;
  l.project_dir = dir;
  l.state = "running";
  l.nodes = machines.size();
  l.machine_names = std::move(machines);
  return l;
}

}  // namespace

TEST_CASE("box_users: machines the hypervisor has whose record names the box") {
  test::TempDir a, b, gone;
  a.write(".vmlab/state.json",
          R"({"version":1,"lab_id":"a-111111","machines":{
              "n1":{"created":true,"box":"deb"},"n2":{"created":true,"box":"tiny"},
              "n3":{"created":true,"box":"deb"}}})");
  b.write(".vmlab/state.json",
          R"({"version":1,"lab_id":"b-222222","machines":{"m":{"created":true,"box":"tiny"}}})");
  executor::HostLabs labs;
  labs.labs.push_back(host_lab("a-111111", a.path().string(), {"n1", "n2"}));  // n3 destroyed
  labs.labs.push_back(host_lab("b-222222", b.path().string(), {"m"}));
  labs.labs.push_back(host_lab("c-333333", (gone / "nope").string(), {"x"}));
  labs.labs.push_back(host_lab("d-444444", "", {"y"}));

  auto deb = executor::box_users("deb", labs);
  REQUIRE(deb.size() == 1);
  CHECK(deb[0].lab_id == "a-111111");
  CHECK(deb[0].nodes == std::vector<std::string>{"n1"});
  CHECK(executor::describe(deb[0]) == "lab a-111111 (libvirt, " + a.path().string() + "): n1");

  auto tiny = executor::box_users("tiny", labs);
  REQUIRE(tiny.size() == 2);
  CHECK(tiny[0].nodes == std::vector<std::string>{"n2"});
  CHECK(tiny[1].lab_id == "b-222222");
  CHECK(executor::box_users("other", labs).empty());
}

TEST_CASE("box_users: an old record without box names is answered from the Vmfile") {
  test::TempDir p;
  p.write(".vmlab/state.json",
          R"({"version":1,"lab_id":"old-555555","machines":{"a":{"created":true}}})");
  p.write("Vmfile", "name = \"old\"\n[[node]]\nname = \"a\"\nbox = \"legacy\"\n");
  executor::HostLabs labs;
  labs.labs.push_back(host_lab("old-555555", p.path().string(), {"a"}));
  auto u = executor::box_users("legacy", labs);
  REQUIRE(u.size() == 1);
  CHECK(u[0].nodes == std::vector<std::string>{"a"});
  CHECK(executor::box_users("tiny", labs).empty());
}
