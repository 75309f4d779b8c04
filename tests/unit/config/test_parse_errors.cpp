// Exact text of the parse-stage diagnostics: TOML syntax, types, unknown keys, {vars.X}.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::kLab;
using vmlab::test::problems;

TEST_CASE("a TOML syntax error is reported at toml++'s position") {
  CHECK(problems("name = \"t\"\n[[node]\nname = \"a\"\n") ==
        "Vmfile:2:8: TOML syntax error: Error while parsing table header: expected ']', saw "
        "'\\n'");
}

TEST_CASE("a wrong type says what was expected and what was given") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"a\"\ncpus = \"two\"\n") ==
        "Vmfile:9:8: node[0].cpus: expected an integer, got string \"two\"");
}

TEST_CASE("wrong types are all reported, each at its value") {
  CHECK(problems("name = 5\nhosts = \"yes\"\n[defaults]\nmemory = 1.5\n") ==
        "Vmfile:1:8: name: expected a string, got integer 5\n"
        "Vmfile:2:9: hosts: expected a boolean (true or false), got string \"yes\"\n"
        "Vmfile:4:10: defaults.memory: expected a size like \"2GiB\" or an integer (MiB), got "
        "float 1.5");
}

TEST_CASE("an unknown top-level key suggests the close one: nodes -> node") {
  CHECK(problems("[[nodes]]\nname = \"a\"\n") ==
        "Vmfile:1:3: nodes: unknown key \"nodes\"; did you mean \"node\"?");
}

TEST_CASE("an unknown node key suggests the close one: memroy -> memory") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"a\"\nmemroy = \"1GiB\"\n") ==
        "Vmfile:9:1: node[0].memroy: unknown key \"memroy\"; did you mean \"memory\"?");
}

TEST_CASE("an unknown key with nothing close lists the allowed keys") {
  CHECK(problems("[libvirt]\nsocket = \"/run/x\"\n") ==
        "Vmfile:2:1: libvirt.socket: unknown key \"socket\"; allowed keys: uri");
}

TEST_CASE("a key of another provisioner type is unknown for this type") {
  CHECK(problems(std::string(kLab) +
                 "[[node]]\nname = \"a\"\n[[node.provision]]\ntype = \"shell\"\ninline = \"true\"\n"
                 "images = [\"x\"]\n") ==
        "Vmfile:12:1: node[0].provision[0].images: unknown key \"images\" for a shell step; "
        "allowed keys: type, name, after, run, inline, path, args, env, privileged");
}

TEST_CASE("[[network]] written as a single table is a type error") {
  CHECK(problems("[network]\nname = \"lab\"\n") ==
        "Vmfile:1:1: network: expected an array of tables ([[network]]), got table");
}

TEST_CASE("an unknown variable is reported at the string that uses it") {
  CHECK(
      problems(std::string(kLab) + "[vars]\nk8s_version = \"1.30\"\n[[node]]\nname = \"a\"\n"
                                   "box = \"{vars.k8s_versoin}\"\n") ==
      "Vmfile:11:7: node[0].box: unknown variable \"k8s_versoin\"; did you mean \"k8s_version\"?");
}

TEST_CASE("an unknown variable with no [vars] says so") {
  CHECK(problems(std::string(kLab) + "[[node]]\nname = \"{vars.prefix}1\"\n") ==
        "Vmfile:8:8: node[0].name: unknown variable \"prefix\"; no [vars] are defined");
}

TEST_CASE("variables must be strings") {
  CHECK(problems("[vars]\nworkers = 3\n") ==
        "Vmfile:2:11: vars.workers: expected a string (variables are text), got integer 3");
}

TEST_CASE("an array element of the wrong type is reported at the element") {
  CHECK(problems(std::string(kLab) +
                 "[[node]]\nname = \"a\"\n[[node.provision]]\ntype = \"shell\"\n"
                 "inline = \"true\"\nargs = [\"x\", 2]\n") ==
        "Vmfile:12:14: node[0].provision[0].args[1]: expected a string, got integer 2");
}
