// Exact text of diagnostics about provisioning steps, `after` edges and cycles.
#include <doctest/doctest.h>

#include "config_test_util.hpp"

using vmlab::test::k8s_problems;
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
        "Vmfile:9:1: node[0].provision[0]: missing required key \"type\" "
        "(shell, file, docker, kubernetes)");
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
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"master\"\n")) ==
        "Vmfile:12:8: node[0].provision[0].role: invalid role \"master\"; allowed: control-plane, "
        "worker");
}

TEST_CASE("an invalid cni and kubernetes version") {
  CHECK(k8s_problems(
            k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\nversion = \"latest\"\n"
                     "cni = \"weave\"\n")) ==
        "Vmfile:13:11: node[0].provision[0].version: invalid kubernetes version \"latest\"; use "
        "\"MAJOR.MINOR.PATCH\", e.g. \"1.20.2\"\n"
        "Vmfile:14:7: node[0].provision[0].cni: invalid cni \"weave\"; allowed: kubenet, calico, "
        "flannel");
}

TEST_CASE("kubernetes workers need a control-plane node") {
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"worker\"\n")) ==
        "Vmfile:12:8: node[0].provision[0].role: a kubernetes worker needs a control-plane: "
        "add a kubernetes step with role = \"control-plane\" to one node");
}

TEST_CASE("only one kubernetes control plane") {
  CHECK(k8s_problems(std::string(kLab) +
                     "[[node]]\nname = \"m{i}\"\ncount = 2\nip = \"192.168.56.10\"\n"
                     "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n") ==
        "Vmfile:13:8: node[0].provision[0].role: only one kubernetes control-plane node is "
        "supported; \"m1\" is one, \"m2\" would be another");
}

TEST_CASE("a kubernetes node needs an address on a lab network") {
  CHECK(k8s_problems(step("type = \"kubernetes\"\nrole = \"control-plane\"\n")) ==
        "Vmfile:9:1: node[0].provision[0]: a kubernetes node needs an address on a lab network: "
        "set \"ip\"");
}

TEST_CASE("duplicate step names on one node") {
  CHECK(problems(
            step("type = \"shell\"\nname = \"init\"\ninline = \"true\"\n"
                 "[[node.provision]]\ntype = \"shell\"\nname = \"init\"\ninline = \"true\"\n")) ==
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
  CHECK(problems(
            step("type = \"shell\"\ninline = \"true\"\nafter = \"b:init\"\n") +
            "[[node]]\nname = \"b\"\n[[node.provision]]\ntype = \"shell\"\ninline = \"true\"\n") ==
        "Vmfile:12:9: node[0].provision[0].after: node \"b\" has no step \"init\"; its steps: "
        "shell");
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
  CHECK(problems(
            step("type = \"shell\"\ninline = \"true\"\nafter = [\"a:last\"]\n"
                 "[[node.provision]]\nname = \"last\"\ntype = \"shell\"\ninline = \"true\"\n")) ==
        "Vmfile:12:9: node[0].provision[0].after: dependency cycle: a:shell-1 -> a:last -> "
        "a:shell-1 (A -> B: A runs after B)");
}

TEST_CASE("a cycle through a derived kubernetes edge") {
  CHECK(k8s_problems(std::string(kLab) +
                     "[[node]]\nname = \"m\"\nip = \"192.168.56.10\"\n"
                     "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n"
                     "after = [\"w\"]\n"
                     "[[node]]\nname = \"w\"\nip = \"192.168.56.11\"\n"
                     "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"worker\"\n") ==
        "Vmfile:13:9: node[0].provision[0].after: dependency cycle: m:kubernetes -> "
        "w:kubernetes -> m:kubernetes (A -> B: A runs after B)");
}

TEST_CASE("pod_cidr and cni belong to the control plane") {
  CHECK(k8s_problems(
            std::string(kLab) +
            "[[node]]\nname = \"m\"\nip = \"192.168.56.10\"\n"
            "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"control-plane\"\n"
            "[[node]]\nname = \"w\"\nip = \"192.168.56.11\"\n"
            "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"worker\"\ncni = \"calico\"\n") ==
        "Vmfile:19:7: node[1].provision[0].cni: \"cni\" is set on the control-plane step only, "
        "not on a worker");
}

TEST_CASE("an unknown provisioner type close to a known one gets a hint") {
  CHECK(problems(step("type = \"shel\"\n")) ==
        "Vmfile:10:8: node[0].provision[0].type: unknown provisioner type \"shel\"; did you mean "
        "\"shell\"? (allowed: shell, file, docker, kubernetes)");
}

TEST_CASE("a type without an implementation is an error at its type, and still checked") {
  // Every type of the table is implemented: a copy of kubernetes marked not implemented.
  static vmlab::config::StepType k8s = vmlab::provisioners::kubernetes_step_type();
  k8s.implemented = false;
  static vmlab::config::StepTypes types;
  types.clear();
  for (const auto* st : vmlab::provisioners::step_types())
    types.push_back(st->name == "kubernetes" ? &k8s : st);
  auto opts = vmlab::test::test_load_options();
  opts.step_types = &types;
  CHECK(vmlab::test::problems_with(opts, k8s_step("type = \"kubernetes\"\nrole = \"boss\"\n")) ==
        "Vmfile:11:8: node[0].provision[0].type: provisioner type \"kubernetes\" is not "
        "implemented in this version of vmlab; available: shell, file, docker\n"
        "Vmfile:12:8: node[0].provision[0].role: invalid role \"boss\"; allowed: control-plane, "
        "worker");
}

TEST_CASE("a kubernetes version the bundle cannot provide") {
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\n"
                              "version = \"1.30.1\"\n")) ==
        "Vmfile:13:11: node[0].provision[0].version: kubernetes 1.30.1 is not available from "
        "source \"bundle\" (built from Debian's kubernetes source package: 1.20.2 only); use "
        "version = \"1.20.2\", or source = \"upstream\" (needs internet)");
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\n"
                              "version = \"1.30.1\"\nsource = \"upstream\"\n")) == "ok");
}

TEST_CASE("a pod CIDR that overlaps a lab network or the service CIDR") {
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\n"
                              "pod_cidr = \"192.168.0.0/16\"\n")) ==
        "Vmfile:13:12: node[0].provision[0].pod_cidr: pod_cidr 192.168.0.0/16 overlaps lab "
        "network lab (192.168.56.0/24)");
  CHECK(k8s_problems(k8s_step("type = \"kubernetes\"\nrole = \"control-plane\"\n"
                              "pod_cidr = \"10.100.0.0/16\"\n")) ==
        "Vmfile:13:12: node[0].provision[0].pod_cidr: pod_cidr 10.100.0.0/16 overlaps the "
        "service CIDR 10.96.0.0/12");
}

TEST_CASE("a value of the wrong type for a declared key") {
  CHECK(problems(step("type = \"shell\"\ninline = 5\n")) ==
        "Vmfile:11:10: node[0].provision[0].inline: expected a string, got integer 5");
  CHECK(problems(step("type = \"shell\"\ninline = \"x\"\nenv = { A = 1 }\n")) ==
        "Vmfile:12:13: node[0].provision[0].env.A: expected a string, got integer 1");
}
