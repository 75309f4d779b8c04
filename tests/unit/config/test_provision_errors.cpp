// Exact text of diagnostics about provisioning steps, `after` edges and cycles.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::kLab;
using vmlab::test::problems;

namespace {
// A node "a" at line 7 with one step starting at line 9 ("[[node.provision]]").
std::string step(const std::string& body) {
  return std::string(kLab) + "[[node]]\nname = \"a\"\n[[node.provision]]\n" + body;
}
// The same with an address (kubernetes nodes need one): the step starts at line 10.
std::string k8s_step(const std::string& body) {
  return std::string(kLab) +
         "[[node]]\nname = \"a\"\nip = \"192.168.56.10\"\n[[node.provision]]\n" + body;
}
}  // namespace

TEST_CASE("an unknown provisioner type lists the allowed types") {
  CHECK(problems(step("type = \"ansible\"\n")) ==
        "Vmfile:10:8: node[0].provision[0].type: unknown provisioner type \"ansible\"; allowed: "
        "shell, file, docker, kubernetes");
}

TEST_CASE("a step without a type") {
  CHECK(problems(step("inline = \"true\"\n")) ==
        "Vmfile:9:1: node[0].provision[0]: missing required key \"type\" (shell, file, docker, "
        "kubernetes)");
}

TEST_CASE("a shell step needs inline or path") {
  CHECK(problems(step("type = \"shell\"\nargs = [\"x\"]\n")) ==
        "Vmfile:9:1: node[0].provision[0]: a shell step needs \"inline\" (a script) or \"path\" "
        "(a script file)");
}

TEST_CASE("a shell step with both inline and path") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\npath = \"s.sh\"\n"), {{"s.sh", ""}}) ==
        "Vmfile:12:8: node[0].provision[0].path: a shell step takes either \"inline\" or "
        "\"path\", not both");
}

TEST_CASE("a missing shell script, relative to the Vmfile") {
  CHECK(problems(step("type = \"shell\"\npath = \"scripts/missing.sh\"\n")) ==
        "Vmfile:11:8: node[0].provision[0].path: shell script \"scripts/missing.sh\" does not "
        "exist (relative paths start at the Vmfile's directory)");
  CHECK(problems(step("type = \"shell\"\npath = \"scripts/ok.sh\"\n"),
                 {{"scripts/ok.sh", "true"}}) == "ok");
}

TEST_CASE("a file step without destination, and a relative destination") {
  CHECK(problems(step("type = \"file\"\nsource = \"f.txt\"\n"), {{"f.txt", "x"}}) ==
        "Vmfile:9:1: node[0].provision[0]: a file step needs \"destination\"");
  CHECK(problems(step("type = \"file\"\nsource = \"f.txt\"\ndestination = \"etc/f\"\n"),
                 {{"f.txt", "x"}}) ==
        "Vmfile:12:15: node[0].provision[0].destination: destination must be an absolute path in "
        "the guest, got \"etc/f\"");
}

TEST_CASE("a file step whose source does not exist") {
  CHECK(problems(step("type = \"file\"\nsource = \"nope.txt\"\ndestination = \"/etc/f\"\n")) ==
        "Vmfile:11:10: node[0].provision[0].source: source \"nope.txt\" does not exist (relative "
        "paths start at the Vmfile's directory)");
}

TEST_CASE("an invalid run policy") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nrun = \"sometimes\"\n")) ==
        "Vmfile:12:7: node[0].provision[0].run: invalid run \"sometimes\"; allowed: once, always");
}

TEST_CASE("an invalid kubernetes role") {
  CHECK(problems(k8s_step("type = \"kubernetes\"\nrole = \"master\"\n")) ==
        "Vmfile:12:8: node[0].provision[0].role: invalid role \"master\"; allowed: control-plane, "
        "worker");
}

TEST_CASE("an invalid cni and kubernetes version") {
  CHECK(problems(k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\nversion = \"latest\"\n"
                          "cni = \"weave\"\n")) ==
        "Vmfile:13:11: node[0].provision[0].version: invalid kubernetes version \"latest\"; use "
        "\"MAJOR.MINOR\" or \"MAJOR.MINOR.PATCH\", e.g. \"1.30\"\n"
        "Vmfile:14:7: node[0].provision[0].cni: invalid cni \"weave\"; allowed: calico, flannel");
}

TEST_CASE("kubernetes workers need a control-plane node") {
  CHECK(problems(k8s_step("type = \"kubernetes\"\nrole = \"worker\"\n")) ==
        "Vmfile:12:8: node[0].provision[0].role: a kubernetes worker needs a control-plane: "
        "add a kubernetes step with role = \"control-plane\" to one node");
}

TEST_CASE("only one kubernetes control plane") {
  CHECK(problems(std::string(kLab) +
                 "[[node]]\nname = \"m{i}\"\ncount = 2\nip = \"192.168.56.10\"\n"
                 "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n") ==
        "Vmfile:13:8: node[0].provision[0].role: only one kubernetes control-plane node is "
        "supported; \"m1\" is one, \"m2\" would be another");
}

TEST_CASE("a kubernetes node needs an address on a lab network") {
  CHECK(problems(step("type = \"kubernetes\"\nrole = \"control-plane\"\n")) ==
        "Vmfile:9:1: node[0].provision[0]: a kubernetes node needs an address on a lab network: "
        "set \"ip\"");
}

TEST_CASE("duplicate step names on one node") {
  CHECK(problems(step("type = \"shell\"\nname = \"init\"\ninline = \"true\"\n"
                      "[[node.provision]]\ntype = \"docker\"\nname = \"init\"\n")) ==
        "Vmfile:15:8: node[0].provision[1].name: duplicate step name \"init\" on this node (also "
        "node[0].provision[0]); set a distinct \"name\"");
}

TEST_CASE("after naming an unknown node suggests the close one") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nafter = [\"m-k8\"]\n") +
                 "[[node]]\nname = \"m-k8s\"\n") ==
        "Vmfile:12:10: node[0].provision[0].after[0]: unknown node \"m-k8\"; did you mean "
        "\"m-k8s\"?");
}

TEST_CASE("after naming an unknown step lists that node's steps") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nafter = \"b:init\"\n") +
                 "[[node]]\nname = \"b\"\n[[node.provision]]\ntype = \"docker\"\n") ==
        "Vmfile:12:9: node[0].provision[0].after: node \"b\" has no step \"init\"; its steps: "
        "docker");
}

TEST_CASE("after naming a group template is not valid") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nafter = [\"w{i}\"]\n") +
                 "[[node]]\nname = \"w{i}\"\ncount = 2\n") ==
        "Vmfile:12:10: node[0].provision[0].after[0]: \"w{i}\" is a group template, not a node; "
        "name members, e.g. \"w1\"");
}

TEST_CASE("a dependency cycle across nodes reports the cycle path") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nafter = [\"b\"]\n") +
                 "[[node]]\nname = \"b\"\n[[node.provision]]\ntype = \"shell\"\n"
                 "inline = \"true\"\nafter = [\"a:shell\"]\n") ==
        "Vmfile:12:9: node[0].provision[0].after: dependency cycle: a:shell -> b:shell -> a:shell "
        "(A -> B: A runs after B)");
}

TEST_CASE("a step waiting for a later step of its own node is a cycle") {
  CHECK(problems(step("type = \"shell\"\ninline = \"true\"\nafter = [\"a:last\"]\n"
                      "[[node.provision]]\nname = \"last\"\ntype = \"docker\"\n")) ==
        "Vmfile:12:9: node[0].provision[0].after: dependency cycle: a:shell -> a:last -> a:shell "
        "(A -> B: A runs after B)");
}

TEST_CASE("a cycle through a derived kubernetes edge") {
  CHECK(problems(std::string(kLab) +
                 "[[node]]\nname = \"m\"\nip = \"192.168.56.10\"\n"
                 "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n"
                 "after = [\"w\"]\n"
                 "[[node]]\nname = \"w\"\nip = \"192.168.56.11\"\n"
                 "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"worker\"\n") ==
        "Vmfile:13:9: node[0].provision[0].after: dependency cycle: m:kubernetes -> "
        "w:kubernetes -> m:kubernetes (A -> B: A runs after B)");
}

TEST_CASE("pod_cidr and cni belong to the control plane") {
  CHECK(problems(
            std::string(kLab) +
            "[[node]]\nname = \"m\"\nip = \"192.168.56.10\"\n"
            "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n"
            "[[node]]\nname = \"w\"\nip = \"192.168.56.11\"\n"
            "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"worker\"\ncni = \"calico\"\n") ==
        "Vmfile:19:7: node[1].provision[0].cni: \"cni\" is set on the control-plane step only, "
        "not on a worker");
}
