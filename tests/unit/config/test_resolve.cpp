// Behaviour of good inputs: defaults, groups, step names, derived edges, overrides.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "config_test_util.hpp"
#include "provisioners/file/file_spec.hpp"
#include "provisioners/kubernetes/kubernetes_spec.hpp"
#include "provisioners/shell/shell_spec.hpp"

using vmlab::config::RunPolicy;
using vmlab::test::kLab;
using vmlab::test::loaded;
using vmlab::test::TempDir;
using vmlab::test::test_load_options;

TEST_CASE("built-in defaults when [defaults] is silent") {
  TempDir dir;
  const auto t = loaded(dir, "[[node]]\nname = \"a\"\nbox = \"b\"\n");
  REQUIRE(t.nodes.size() == 1);
  CHECK(t.provider == "libvirt");
  CHECK(t.hosts);
  CHECK(t.nodes[0].cpus == 1);
  CHECK(t.nodes[0].memory_mib == 1024);
  CHECK(t.nodes[0].disk_mib == 10240);
  CHECK(t.nodes[0].index == 0);
  CHECK(t.nodes[0].group == "a");
  CHECK(t.project_dir == dir.path());
}

TEST_CASE("the lab name defaults to the sanitised directory name") {
  TempDir dir;
  const auto sub = dir / "My_Project.v2";
  std::filesystem::create_directories(sub);
  std::ofstream(sub / "Vmfile") << "";
  vmlab::config::LoadOptions opts = vmlab::test::test_load_options();
  opts.use_env = false;
  CHECK(vmlab::config::load(sub / "Vmfile", opts).name == "my-project-v2");
}

TEST_CASE("[defaults] apply, node values win") {
  TempDir dir;
  const auto t = loaded(dir,
                        "[defaults]\nbox = \"d\"\ncpus = 2\nmemory = \"2GiB\"\ndisk = 4096\n"
                        "[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\nbox = \"x\"\ncpus = 4\n"
                        "memory = 512\n");
  CHECK(t.nodes[0].box == "d");
  CHECK(t.nodes[0].cpus == 2);
  CHECK(t.nodes[0].memory_mib == 2048);
  CHECK(t.nodes[0].disk_mib == 4096);
  CHECK(t.nodes[1].box == "x");
  CHECK(t.nodes[1].cpus == 4);
  CHECK(t.nodes[1].memory_mib == 512);
}

TEST_CASE("a group expands names, consecutive IPs and host ports") {
  TempDir dir;
  const auto t =
      loaded(dir, std::string(kLab) +
                      "[[node]]\nname = \"w{i}-k8s\"\ncount = 3\nip = \"192.168.56.101\"\n"
                      "forward = [{ guest = 80, host = 8080 }]\n");
  REQUIRE(t.nodes.size() == 3);
  for (int i = 0; i < 3; ++i) {
    CAPTURE(i);
    CHECK(t.nodes[i].name == "w" + std::to_string(i + 1) + "-k8s");
    CHECK(t.nodes[i].group == "w{i}-k8s");
    CHECK(t.nodes[i].index == i + 1);
    REQUIRE(t.nodes[i].addresses.size() == 1);
    CHECK(t.nodes[i].addresses[0].ip == "192.168.56." + std::to_string(101 + i));
    CHECK(t.nodes[i].addresses[0].network == "lab");
    CHECK(t.nodes[i].addresses[0].prefix == 24);
    CHECK(t.nodes[i].forwards[0].host == 8080 + i);
    CHECK(t.nodes[i].forwards[0].guest == 80);
  }
}

TEST_CASE("ip as an array puts a node on several networks") {
  TempDir dir;
  const auto t =
      loaded(dir, std::string(kLab) +
                      "[[network]]\nname = \"store\"\ncidr = \"10.10.0.0/16\"\n"
                      "[[node]]\nname = \"a\"\nip = [\"192.168.56.10\", \"10.10.0.10\"]\n");
  REQUIRE(t.nodes[0].addresses.size() == 2);
  CHECK(t.nodes[0].addresses[1].network == "store");
  CHECK(t.nodes[0].addresses[1].prefix == 16);
  CHECK(t.networks[1].gateway == "10.10.0.1");
}

TEST_CASE("default step names: the type, or type-N when it repeats") {
  TempDir dir;
  const auto t =
      loaded(dir, std::string(kLab) +
                      "[[node]]\nname = \"a\"\n"
                      "[[node.provision]]\ntype = \"shell\"\ninline = \"a\"\n"
                      "[[node.provision]]\ntype = \"file\"\nsource = \"Vmfile\"\n"
                      "destination = \"/x\"\n"
                      "[[node.provision]]\ntype = \"shell\"\ninline = \"b\"\nrun = \"always\"\n"
                      "[[node.provision]]\ntype = \"shell\"\nname = \"last\"\ninline = \"c\"\n");
  const auto& p = t.nodes[0].provision;
  REQUIRE(p.size() == 4);
  CHECK(p[0].name == "shell-1");
  CHECK(p[1].name == "file");
  CHECK(p[2].name == "shell-2");
  CHECK(p[2].run == RunPolicy::Always);
  CHECK(p[3].name == "last");
  CHECK(p[0].as<vmlab::provisioners::ShellSettings>().privileged);
  CHECK(p[0].as<vmlab::provisioners::ShellSettings>().inline_script == "a");
}

TEST_CASE("kubernetes workers get the derived edge and follow the control plane") {
  // The kubernetes language is checked even before its provisioner exists; load it here with
  // the type marked implemented to look at what it resolves to.
  vmlab::config::StepType k8s = vmlab::provisioners::kubernetes_step_type();
  k8s.implemented = true;
  const vmlab::config::StepTypes types = {&vmlab::provisioners::shell_step_type(), &k8s};
  TempDir dir;
  auto opts = test_load_options();
  opts.step_types = &types;
  const auto t = vmlab::config::load(
      dir.write("Vmfile", std::string(kLab) +
                              "[[node]]\nname = \"m\"\nip = \"192.168.56.10\"\n"
                              "[[node.provision]]\nname = \"init\"\ntype = \"kubernetes\"\n"
                              "role = \"control-plane\"\npod_cidr = \"10.32.0.0/16\"\n"
                              "[[node]]\nname = \"w{i}\"\ncount = 2\nip = \"192.168.56.20\"\n"
                              "[[node.provision]]\ntype = \"kubernetes\"\nrole = \"worker\"\n"
                              "after = [\"m\"]\n"),
      opts);
  REQUIRE(t.nodes.size() == 3);
  using vmlab::provisioners::KubernetesSettings;
  const auto& cp = t.nodes[0].provision[0];
  CHECK(cp.after.empty());
  CHECK(cp.as<KubernetesSettings>().pod_cidr == "10.32.0.0/16");
  CHECK(cp.as<KubernetesSettings>().cni == "kubenet");
  CHECK(cp.as<KubernetesSettings>().source == "bundle");
  for (int i = 1; i <= 2; ++i) {
    const auto& w = t.nodes[i].provision[0];
    CHECK(w.after == std::vector<std::string>{"m", "m:init"});
    CHECK(w.as<KubernetesSettings>().version == "1.20.2");
    CHECK(w.as<KubernetesSettings>().pod_cidr == "10.32.0.0/16");
  }
}

TEST_CASE("{vars.X} expands in any string, also inside arrays and env") {
  TempDir dir;
  dir.write("s.sh", "true");
  const auto t = loaded(dir, std::string(kLab) +
                                 "[vars]\nv = \"x\"\n[[node]]\nname = \"n-{vars.v}\"\n"
                                 "[[node.provision]]\ntype = \"shell\"\npath = \"s.sh\"\n"
                                 "args = [\"{vars.v}{vars.v}\"]\nenv = { A = \"a{vars.v}\" }\n");
  CHECK(t.nodes[0].name == "n-x");
  const auto& sh = t.nodes[0].provision[0].as<vmlab::provisioners::ShellSettings>();
  CHECK(sh.args == std::vector<std::string>{"xx"});
  CHECK(sh.env.at("A") == "ax");
  CHECK(sh.path == dir.path() / "s.sh");
}

TEST_CASE("provider: --provider beats VMLAB_PROVIDER beats the file") {
  TempDir dir;
  const auto vmfile = dir.write("Vmfile", "provider = \"virtualbox\"\n");
  vmlab::config::LoadOptions opts = vmlab::test::test_load_options();
  opts.use_env = false;
  CHECK(vmlab::config::load(vmfile, opts).provider == "virtualbox");
  opts.use_env = true;
  setenv("VMLAB_PROVIDER", "libvirt", 1);
  CHECK(vmlab::config::load(vmfile, opts).provider == "libvirt");
  opts.provider = "virtualbox";
  CHECK(vmlab::config::load(vmfile, opts).provider == "virtualbox");
  opts.provider = "qemu";
  try {
    vmlab::config::load(vmfile, opts);
    FAIL("expected a UsageError");
  } catch (const vmlab::UsageError& e) {
    CHECK(std::string(e.what()) ==
          "unknown provider \"qemu\" (from --provider); allowed: libvirt, virtualbox");
  }
  unsetenv("VMLAB_PROVIDER");
}

TEST_CASE("ConfigError: what() is the diagnostics, summary() counts them") {
  TempDir dir;
  const auto vmfile = dir.write("Vmfile", "cpus = 1\nnodes = 2\n");
  try {
    vmlab::config::load(vmfile);
    FAIL("expected a ConfigError");
  } catch (const vmlab::config::ConfigError& e) {
    CHECK(e.diagnostics().size() == 2);
    CHECK(e.summary() == "2 problems in " + vmfile.string());
    CHECK(e.code() == vmlab::ExitCode::Usage);
    CHECK(e.diagnostics()[0].str() ==
          vmfile.string() +
              ":1:1: cpus: unknown key \"cpus\"; allowed "
              "keys: name, provider, hosts, vars, defaults, libvirt, network, node");
  }
}

TEST_CASE("summary() is the human form of `vmlab config`") {
  TempDir dir;
  const auto t =
      loaded(dir, std::string(kLab) +
                      "[[node]]\nname = \"a\"\nmemory = \"1.5GiB\"\nip = \"192.168.56.10\"\n"
                      "forward = [{ guest = 80, host = 8080 }]\n"
                      "[[node.provision]]\ntype = \"shell\"\ninline = \"true\"\nafter = [\"b\"]\n"
                      "[[node]]\nname = \"b\"\ncpus = 2\n");
  CHECK(vmlab::config::summary(t) ==
        "lab t (provider libvirt, /etc/hosts on)\n"
        "network lab 192.168.56.0/24 (gateway 192.168.56.1)\n"
        "node a: box b, 1 cpu, memory 1.5GiB, disk 10GiB\n"
        "  address 192.168.56.10/24 on lab\n"
        "  forward host 8080 -> guest 80 (tcp)\n"
        "  1. shell (shell), after b\n"
        "node b: box b, 2 cpus, memory 1GiB, disk 10GiB\n");
}
