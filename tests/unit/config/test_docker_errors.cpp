// Exact text of diagnostics about docker steps (provisioners/docker/docker_spec.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "config_test_util.hpp"
#include "provisioners/docker/docker_spec.hpp"

using vmlab::test::kLab;
using vmlab::test::problems;

namespace {
// A node "a" at line 7 with one step starting at line 9 ("[[node.provision]]"); the body
// starts at line 10.
std::string step(const std::string& body) {
  return std::string(kLab) + "[[node]]\nname = \"a\"\n[[node.provision]]\ntype = \"docker\"\n" +
         body;
}
}  // namespace

TEST_CASE("a docker step alone is valid; every key is optional") {
  CHECK(problems(step("")) == "ok");
  CHECK(problems(step("engine = \"docker-ce\"\nusers = [\"vmlab\"]\nimages = [\"debian:12\"]\n")) ==
        "ok");
}

TEST_CASE("a full docker step loads, with paths relative to the Vmfile") {
  const std::string body =
      "daemon = { \"insecure-registries\" = [\"node1:5000\"], debug = true, "
      "\"max-concurrent-downloads\" = 3 }\n"
      "load = [\"img/app.tar\"]\n"
      "import = [{ image = \"lab/base:1\", rootfs = \"img/rootfs.tar\", changes = [\"CMD "
      "[\\\"sh\\\"]\"] }]\n"
      "build = [{ image = \"lab/web:1\", context = \"web\", args = { V = \"1\" } }]\n"
      "run = [{ name = \"web\", image = \"lab/web:1\", args = [\"-p\", \"80:8080\"], restart = "
      "\"always\" }]\n";
  CHECK(problems(step(body),
                 {{"img/app.tar", "a"}, {"img/rootfs.tar", "r"}, {"web/Dockerfile", "FROM x"}}) ==
        "ok");
}

TEST_CASE("an unknown docker key gets a did-you-mean") {
  CHECK(problems(step("imagse = [\"x\"]\n")) ==
        "Vmfile:11:1: node[0].provision[0].imagse: unknown key \"imagse\" for a docker step; did "
        "you mean \"images\"?");
}

TEST_CASE("unknown keys inside import, build and run entries") {
  CHECK(problems(step("run = [{ name = \"w\", imgae = \"x\" }]\n")) ==
        "Vmfile:11:8: node[0].provision[0].run[0]: a run entry needs \"image\"\n"
        "Vmfile:11:22: node[0].provision[0].run[0].imgae: unknown key \"imgae\" in a run entry; "
        "did you mean \"image\"?");
  CHECK(problems(step("build = [{ image = \"x\", context = \"web\", file = \"D\" }]\n"),
                 {{"web/Dockerfile", ""}}) ==
        "Vmfile:11:42: node[0].provision[0].build[0].file: unknown key \"file\" in a build entry; "
        "allowed keys: image, context, dockerfile, args");
  CHECK(problems(step("import = [{ image = \"x\", rootfs = \"r.tar\", change = [] }]\n"),
                 {{"r.tar", ""}}) ==
        "Vmfile:11:44: node[0].provision[0].import[0].change: unknown key \"change\" in an import "
        "entry; did you mean \"changes\"?");
}

TEST_CASE("run without image, and [[node.provision.run]] tables") {
  CHECK(problems(step("[[node.provision.run]]\nname = \"web\"\nargs = [\"-p\", \"1:1\"]\n")) ==
        "Vmfile:11:1: node[0].provision[0].run[0]: a run entry needs \"image\"");
}

TEST_CASE("an array `run` is the docker step's containers; elsewhere `run` is the policy") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"a\"\n[[node.provision]]\ntype = "
                                     "\"shell\"\ninline = \"true\"\nrun = [\"x\"]\n") ==
        "Vmfile:12:7: node[0].provision[0].run: expected a string, got array");
  CHECK(problems(step("run = []\n")) == "ok");
}

TEST_CASE("load, rootfs and context paths must exist in the project") {
  CHECK(problems(step("load = [\"app.tar\"]\n")) ==
        "Vmfile:11:9: node[0].provision[0].load[0]: docker archive \"app.tar\" does not exist "
        "(relative paths start at the Vmfile's directory)");
  CHECK(problems(step("import = [{ image = \"x\", rootfs = \"r.tar\" }]\n")) ==
        "Vmfile:11:35: node[0].provision[0].import[0].rootfs: rootfs \"r.tar\" does not exist "
        "(relative paths start at the Vmfile's directory)");
  CHECK(problems(step("build = [{ image = \"x\", context = \"web/\" }]\n")) ==
        "Vmfile:11:35: node[0].provision[0].build[0].context: build context \"web/\" does not "
        "exist (relative paths start at the Vmfile's directory)");
  CHECK(problems(step("build = [{ image = \"x\", context = \"web\" }]\n"),
                 {{"web/index.html", ""}}) ==
        "Vmfile:11:35: node[0].provision[0].build[0].context: the build context has no Dockerfile "
        "(set \"dockerfile\")");
}

TEST_CASE("two containers with one name on a node, also across docker steps") {
  CHECK(
      problems(
          step("run = [{ name = \"w\", image = \"a\" }, { name = \"w\", image = \"b\" }]\n")) ==
      "Vmfile:11:46: node[0].provision[0].run[1].name: container \"w\" is already defined on node "
      "a (node[0].provision[0].run[0].name)");
  CHECK(
      problems(step("run = [{ name = \"w\", image = \"a\" }]\n[[node.provision]]\ntype = "
                    "\"docker\"\nrun = [{ name = \"w\", image = \"b\" }]\n")) ==
      "Vmfile:14:17: node[0].provision[1].run[0].name: container \"w\" is already defined on node "
      "a (node[0].provision[0].run[0].name)");
}

TEST_CASE("daemon must be a table; engine, restart and names are checked") {
  CHECK(problems(step("daemon = \"{}\"\n")) ==
        "Vmfile:11:10: node[0].provision[0].daemon: expected a table, got string \"{}\"");
  CHECK(problems(step("daemon = { mtu = 1.5 }\n")) ==
        "Vmfile:11:18: node[0].provision[0].daemon.mtu: daemon.json takes strings, integers, "
        "booleans, arrays and tables; got float 1.5");
  CHECK(problems(step("engine = \"podman\"\n")) ==
        "Vmfile:11:10: node[0].provision[0].engine: invalid engine \"podman\"; allowed: docker.io, "
        "docker-ce");
  CHECK(
      problems(step("run = [{ name = \"w\", image = \"a\", restart = \"sometimes\" }]\n")) ==
      "Vmfile:11:45: node[0].provision[0].run[0].restart: invalid restart \"sometimes\"; allowed: "
      "no, always, unless-stopped, on-failure, on-failure:N");
  CHECK(problems(step("run = [{ name = \"-w\", image = \"a\" }]\n")) ==
        "Vmfile:11:17: node[0].provision[0].run[0].name: invalid container name \"-w\"; use "
        "letters, digits, '_', '.' and '-', starting with a letter or digit");
  CHECK(problems(step("run = [{ name = \"w\", image = \"a\", args = \"-p 1:1\" }]\n")) ==
        "Vmfile:11:42: node[0].provision[0].run[0].args: expected an array of strings, got string "
        "\"-p 1:1\"");
}

TEST_CASE("the docker digest covers the content of archives and build contexts") {
  vmlab::test::TempDir dir;
  dir.write("web/Dockerfile", "FROM a\n");
  const std::string toml = std::string(kLab) +
                           "[[node]]\nname = \"a\"\n[[node.provision]]\ntype = \"docker\"\n"
                           "build = [{ image = \"x\", context = \"web\" }]\n";
  auto digest = [&] {
    const auto topo = vmlab::test::loaded(dir, toml);
    vmlab::config::DigestBuilder d;
    topo.nodes[0].provision[0].settings->digest(d);
    return d.hex();
  };
  const std::string before = digest();
  CHECK(digest() == before);
  dir.write("web/Dockerfile", "FROM b\n");
  CHECK(digest() != before);
}
