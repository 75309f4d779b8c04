// The kubernetes provisioner's pure parts: the join command parser, the kubenet route
// commands, the bundle path.
#include <doctest/doctest.h>

#include <cstdlib>

#include "provisioners/kubernetes/kubernetes.hpp"

using namespace vmlab::provisioners;

TEST_CASE("kubeadm's join command is parsed into endpoint, token and CA hash") {
  const auto j = parse_join_command(
      "kubeadm join 192.168.56.10:6443 --token abcdef.0123456789abcdef     "
      "--discovery-token-ca-cert-hash sha256:7c2e \n");
  CHECK(j.endpoint == "192.168.56.10:6443");
  CHECK(j.token == "abcdef.0123456789abcdef");
  CHECK(j.ca_hash == "sha256:7c2e");
  const auto bad = parse_join_command("error: something\n");
  CHECK(bad.token.empty());
  CHECK(bad.ca_hash.empty());
}

TEST_CASE("kubenet routes: one per other node with a podCIDR, via its lab address") {
  const std::string table =
      "m-k8s 10.244.0.0/24 192.168.56.10\nw1-k8s 10.244.1.0/24 192.168.56.101\n"
      "w2-k8s  192.168.56.102\n";  // no podCIDR yet: no route
  CHECK(route_commands(table, "w1-k8s") ==
        std::vector<std::string>{"ip route replace 10.244.0.0/24 via 192.168.56.10"});
  CHECK(route_commands(table, "w2-k8s") ==
        std::vector<std::string>{"ip route replace 10.244.0.0/24 via 192.168.56.10",
                                 "ip route replace 10.244.1.0/24 via 192.168.56.101"});
  CHECK(route_commands("", "m-k8s").empty());
}

TEST_CASE("the bundle lives in the vmlab cache, by version") {
  ::unsetenv("VMLAB_CACHE");
  CHECK(k8s_bundle_dir("1.20.2") == "/var/cache/vmlab/k8s/v1.20.2");
  ::setenv("VMLAB_CACHE", "/tmp/c", 1);
  CHECK(k8s_bundle_dir("1.20.2") == "/tmp/c/k8s/v1.20.2");
  ::unsetenv("VMLAB_CACHE");
}
