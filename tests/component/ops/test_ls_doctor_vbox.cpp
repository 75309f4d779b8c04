// `vmlab ls` and `vmlab doctor` as commands (the built binary), with the VirtualBox provider
// on the VBoxManage SIMULATOR (tests/vboxmanage-sim; its state is a file, so labs made here
// are seen by the binary). Not a test of VirtualBox.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "component/vbox/vbox_sim_env.hpp"
#include "providers/virtualbox/vbox_provider.hpp"
#include "state/state.hpp"

using namespace vmlab;

namespace {

// Runs the binary in `dir` with the test's environment; stderr goes to the test's log.
test::ShellRun vmlab_in(const std::filesystem::path& dir, const std::string& args) {
  return test::run_shell("cd '" + dir.string() + "' && " + VMLAB_BIN_DIR + "/vmlab " + args);
}

std::string make_lab(const std::string& name, const std::filesystem::path& project, int nodes) {
  std::filesystem::create_directories(project);
  auto t = test::make_topo(name, nodes);
  t.project_dir = project;
  const std::string id = state::make_lab_id(name, project);
  auto p = providers::make_virtualbox_provider(t);
  p->prepare_lab(t, id);
  for (const auto& n : t.nodes) p->create(test::make_spec(t, id, n.name), nullptr);
  return id;
}

const nlohmann::json* lab_in(const nlohmann::json& ls, const std::string& id) {
  for (const auto& l : ls["labs"])
    if (l["lab_id"] == id) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("[VBoxManage simulator] vmlab ls lists two labs; ls --prune asks, refuses, -f removes") {
  if (auto why = test::sim_skip_reason(); !why.empty())
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  test::SimEnv env;
  setenv("VMLAB_LIBVIRT_URI", "test:///default", 1);  // libvirt answers, with no lab
  test::TempDir projects;
  const std::string a = make_lab("alpha", projects / "a", 2);
  const std::string b = make_lab("beta", projects / "b", 1);

  auto r = vmlab_in(projects.path(), "ls --json");
  REQUIRE(r.code == 0);
  auto ls = nlohmann::json::parse(r.out);
  REQUIRE(lab_in(ls, a));
  REQUIRE(lab_in(ls, b));
  CHECK((*lab_in(ls, a))["provider"] == "virtualbox");
  CHECK((*lab_in(ls, a))["project_dir"] == (projects / "a").string());
  CHECK((*lab_in(ls, a))["nodes"] == 2);
  CHECK((*lab_in(ls, a))["state"] == "halted");
  CHECK((*lab_in(ls, b))["project_dir"] == (projects / "b").string());
  CHECK((*lab_in(ls, b))["project_gone"] == false);
  CHECK(ls["unreachable"].empty());

  r = vmlab_in(projects.path(), "ls");
  CHECK(r.code == 0);
  CHECK(r.out.rfind("LAB ", 0) == 0);
  CHECK(r.out.find(a + "  virtualbox  halted      2  " + (projects / "a").string() + "\n") !=
        std::string::npos);

  std::filesystem::remove_all(projects / "b");
  r = vmlab_in(projects.path(), "ls");
  CHECK(r.out.find((projects / "b").string() + " (gone)") != std::string::npos);
  // No terminal and no -f: refused, exit 2, nothing removed.
  r = vmlab_in(projects.path(), "ls --prune </dev/null");
  CHECK(r.code == 2);
  CHECK(env.vm_names().size() >= 3);
  // -f: only the lab whose project is gone goes.
  r = vmlab_in(projects.path(), "ls --prune -f");
  CHECK(r.code == 0);
  auto names = env.vm_names();
  CHECK(std::count(names.begin(), names.end(), "vmlab-" + a + "-n1") == 1);
  CHECK(std::count(names.begin(), names.end(), "vmlab-" + a + "-n2") == 1);
  CHECK(std::count(names.begin(), names.end(), "vmlab-" + b + "-n1") == 0);
  ls = nlohmann::json::parse(vmlab_in(projects.path(), "ls --json").out);
  CHECK(lab_in(ls, a));
  CHECK_FALSE(lab_in(ls, b));
  r = vmlab_in(projects.path(), "ls --prune");
  CHECK(r.code == 0);
  CHECK(r.out.find("nothing to prune") != std::string::npos);
}

TEST_CASE("[VBoxManage simulator] vmlab doctor: a taken forwarded port fails (exit 1), free: 0") {
  if (auto why = test::sim_skip_reason(); !why.empty())
    VMLAB_SKIP("VBoxManage simulator test cannot run: " << why);
  test::SimEnv env;
  test::TempDir project;
  test::Listener taken;
  project.write("Vmfile", fmt::format("name = \"doc\"\nprovider = \"virtualbox\"\n\n[[node]]\n"
                                      "name = \"web\"\nbox = \"tiny\"\nmemory = \"128MiB\"\n"
                                      "disk = \"1GiB\"\nforward = [{{ guest = 80, host = {} }}]\n",
                                      taken.port));
  const std::string port_check = fmt::format("port {}/tcp", taken.port);

  auto r = vmlab_in(project.path(), "doctor --json");
  CHECK(r.code == 1);
  auto doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == false);
  CHECK(doc["provider"] == "virtualbox");
  CHECK(doc["vmfile"] == (project / "Vmfile").string());
  bool found = false;
  for (const auto& c : doc["checks"]) {
    CHECK(c.contains("fix"));
    if (c["name"] != port_check) continue;
    found = true;
    CHECK(c["level"] == "fail");
    CHECK(c["detail"] == fmt::format("127.0.0.1:{} (tcp, node web forwards it to 80) is taken: "
                                     "Address already in use",
                                     taken.port));
  }
  CHECK(found);
  r = vmlab_in(project.path(), "doctor");
  CHECK(r.code == 1);
  CHECK(r.out.find("fail  " + port_check) != std::string::npos);

  taken.close();
  r = vmlab_in(project.path(), "doctor --json");
  INFO(r.out);
  CHECK(r.code == 0);
  doc = nlohmann::json::parse(r.out);
  CHECK(doc["ok"] == true);
  for (const auto& c : doc["checks"]) CHECK(c["level"] != "fail");

  // Without a Vmfile: host checks only, no lab checks.
  test::TempDir empty;
  r = vmlab_in(empty.path(), "--provider virtualbox doctor --json");
  doc = nlohmann::json::parse(r.out);
  CHECK(doc["vmfile"].is_null());
  for (const auto& c : doc["checks"]) CHECK(c["name"] != "routes");
}
