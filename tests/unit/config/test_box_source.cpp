// `box = { name, url, sha256 }`: where a box is fetched from, on a node or in [defaults];
// exact text of its diagnostics.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::problems;

namespace {

const std::string kDigest(64, 'a');

std::string lab(const std::string& box_line, const std::string& defaults = "") {
  return "name = \"t\"\n" + defaults + "[[node]]\nname = \"a\"\n" + box_line + "\n";
}

vmlab::config::Topology load(const std::string& toml) {
  vmlab::test::TempDir dir;
  return vmlab::config::load(dir.write("Vmfile", toml), vmlab::test::test_load_options());
}

}  // namespace

TEST_CASE("a box table names the box and where to fetch it") {
  auto t =
      load(lab("box = { name = \"deb\", url = \"https://example.org/d.qcow2\", sha256 = \"sha256:" +
               std::string(64, 'A') + "\" }"));
  REQUIRE(t.nodes.size() == 1);
  CHECK(t.nodes[0].box == "deb");
  REQUIRE(t.box_sources.size() == 1);
  CHECK(t.box_sources[0].name == "deb");
  CHECK(t.box_sources[0].url == "https://example.org/d.qcow2");
  CHECK(t.box_sources[0].sha256 == kDigest);  // normalised: lower case, no prefix
  CHECK(t.box_sources[0].pos.line == 4);
  CHECK(t.find_box_source("deb") == &t.box_sources[0]);
  CHECK(t.find_box_source("other") == nullptr);
}

TEST_CASE("a box table in [defaults] serves every node; a plain name has no source") {
  auto t =
      load("[defaults]\nbox = { name = \"deb\", url = \"file:///srv/d.tar.gz\", sha256 = \"" +
           kDigest + "\" }\n[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\nbox = \"local\"\n");
  REQUIRE(t.nodes.size() == 2);
  CHECK(t.nodes[0].box == "deb");
  CHECK(t.nodes[1].box == "local");
  REQUIRE(t.box_sources.size() == 1);
  CHECK(t.box_sources[0].url == "file:///srv/d.tar.gz");
}

TEST_CASE("a box table's keys, URL and digest are checked, each problem once") {
  CHECK(problems(lab("box = { name = \"d\", url = \"ftp://x/d.qcow2\", sha256 = \"abc\" }")) ==
        "Vmfile:4:27: node[0].box.url: invalid URL \"ftp://x/d.qcow2\": expected an http://, "
        "https:// or file:// URL\n"
        "Vmfile:4:55: node[0].box.sha256: invalid sha256 \"abc\": expected 64 hex digits "
        "(optionally prefixed \"sha256:\")");
  CHECK(problems(lab("box = { name = \"d\", uri = \"http://x/d\" }")) ==
        "Vmfile:4:7: node[0].box: missing required key \"sha256\"\n"
        "Vmfile:4:7: node[0].box: missing required key \"url\"\n"
        "Vmfile:4:21: node[0].box.uri: unknown key \"uri\"; did you mean \"url\"?");
  CHECK(problems(lab("box = { url = \"http://x/d\", sha256 = \"" + kDigest + "\" }")) ==
        "Vmfile:4:7: node[0].box: missing required key \"name\"");
  CHECK(problems(lab("box = 3")) ==
        "Vmfile:4:7: node[0].box: expected a box name or a table { name = \"...\", url = "
        "\"...\", sha256 = \"...\" }, got integer 3");
  CHECK(problems(
            lab("box = { name = \"../x\", url = \"http://x/d\", sha256 = \"" + kDigest + "\" }")) ==
        "Vmfile:4:16: node[0].box: invalid box name \"../x\": use letters, digits, '.', '_' and "
        "'-' (not first), at most 64");
}

TEST_CASE("one box name with two different sources is an error at the second") {
  const std::string a =
      "box = { name = \"d\", url = \"http://x/1\", sha256 = \"" + kDigest + "\" }";
  const std::string b =
      "box = { name = \"d\", url = \"http://x/2\", sha256 = \"" + kDigest + "\" }";
  CHECK(problems("[[node]]\nname = \"a\"\n" + a + "\n[[node]]\nname = \"b\"\n" + b + "\n") ==
        "Vmfile:6:7: node[1].box: box \"d\" is given again with another url or sha256 (first at "
        "line 3, column 7); one name is one image");
  CHECK(problems("[[node]]\nname = \"a\"\n" + a + "\n[[node]]\nname = \"b\"\n" + a + "\n") == "ok");
}
