// Synced folders ([[node.sync]], [[defaults.sync]]): resolved values and the exact text of
// their diagnostics.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::kLab;
using vmlab::test::problems;

namespace {
std::string lab(const std::string& rest) {
  return std::string(kLab) + rest;
}
}  // namespace

TEST_CASE("sync folders: defaults first, then the node's own; host paths made absolute") {
  vmlab::test::TempDir dir;
  dir.write("data/a.txt", "a");
  const auto topo = vmlab::test::loaded(dir, lab(R"([[defaults.sync]]
host = "."
guest = "/vmlab/"
[[node]]
name = "a"
  [[node.sync]]
  host = "data"
  guest = "/srv//data"
  mode = "copy"
[[node]]
name = "b"
)"));
  const auto& a = topo.nodes[0].syncs;
  REQUIRE(a.size() == 2);
  CHECK(a[0].host == dir.path());
  CHECK(a[0].guest == "/vmlab");
  CHECK(a[0].mode == vmlab::config::SyncMode::Mount);
  CHECK(a[1].host == dir.path() / "data");
  CHECK(a[1].guest == "/srv/data");
  CHECK(a[1].mode == vmlab::config::SyncMode::Copy);
  REQUIRE(topo.nodes[1].syncs.size() == 1);
  CHECK(topo.nodes[1].syncs[0].guest == "/vmlab");
}

TEST_CASE("a sync host folder must exist and be a directory") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\n[[node.sync]]\nhost = \"nope\"\nguest = \"/x\"\n"
                     "[[node.sync]]\nhost = \"f.txt\"\nguest = \"/y\"\n"),
                 {{"f.txt", "x"}}) ==
        "Vmfile:10:8: node[0].sync[0].host: host folder \"nope\" does not exist (relative paths "
        "start at the Vmfile's directory)\n"
        "Vmfile:13:8: node[0].sync[1].host: host folder \"f.txt\" is not a directory (a synced "
        "folder is a directory; copy a single file with a file step)");
}

TEST_CASE("a sync guest path must be absolute and not the root") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\n[[node.sync]]\nhost = \".\"\nguest = \"vmlab\"\n"
                     "[[node.sync]]\nhost = \".\"\nguest = \"/\"\n")) ==
        "Vmfile:11:9: node[0].sync[0].guest: guest path must be absolute (start with '/'), got "
        "\"vmlab\"\n"
        "Vmfile:14:9: node[0].sync[1].guest: guest path \"/\" would hide the guest's own root; "
        "name a directory such as \"/vmlab\"");
}

TEST_CASE("an unknown sync mode lists the allowed ones") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\n[[node.sync]]\nhost = \".\"\nguest = \"/v\"\n"
                     "mode = \"rsync\"\n")) ==
        "Vmfile:12:8: node[0].sync[0].mode: unknown mode \"rsync\"; allowed: mount, copy (mount: "
        "live, both ways; copy: sent over SSH at each up and provision)");
}

// The first missing key taints the table, as for other tables: one message per table.
TEST_CASE("sync needs host and guest; unknown keys get a hint") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\n[[node.sync]]\nhots = \".\"\n")) ==
        "Vmfile:9:1: node[0].sync[0]: missing required key \"host\" (a synced folder needs host "
        "and guest)\n"
        "Vmfile:10:1: node[0].sync[0].hots: unknown key \"hots\"; did you mean \"host\"?");
  CHECK(problems(lab("[[node]]\nname = \"a\"\n[[node.sync]]\nhost = \".\"\n")) ==
        "Vmfile:9:1: node[0].sync[0]: missing required key \"guest\" (a synced folder needs host "
        "and guest)");
}

TEST_CASE("a guest path twice on one node is an error, also against [defaults]") {
  CHECK(problems(lab("[[defaults.sync]]\nhost = \".\"\nguest = \"/vmlab\"\n"
                     "[[node]]\nname = \"a\"\n"
                     "[[node.sync]]\nhost = \".\"\nguest = \"/vmlab/\"\n"
                     "[[node.sync]]\nhost = \".\"\nguest = \"/x\"\n"
                     "[[node.sync]]\nhost = \".\"\nguest = \"/x\"\n")) ==
        "Vmfile:14:9: node[0].sync[0].guest: duplicate guest path \"/vmlab\" (also "
        "defaults.sync[0])\n"
        "Vmfile:20:9: node[0].sync[2].guest: duplicate guest path \"/x\" (also node[0].sync[1])");
}

TEST_CASE("sync must be an array of tables") {
  CHECK(problems(lab("[[node]]\nname = \"a\"\nsync = \"/vmlab\"\n")) ==
        "Vmfile:9:8: node[0].sync: expected an array of tables ([[sync]]), got string "
        "\"/vmlab\"");
}
