#pragma once
// A lab on the fake provider and fake remotes (tests/fakes), for unit tests of the executor:
// a real Vmfile (config::load_string), a real state record and lab keys in a temp dir, no
// hypervisor and no SSH.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include "../../fakes/fake_provider.hpp"
#include "../../fakes/fake_remote.hpp"
#include "config/load.hpp"
#include "executor/cancel.hpp"
#include "executor/lab_ops.hpp"
#include "lab/lab.hpp"
#include "provisioners/provisioner.hpp"
#include "testutil.hpp"

namespace vmlab::test {

// Redirects stdout (where the reporter writes) to a file for its lifetime.
class CaptureStdout {
 public:
  CaptureStdout() : file_(dir_ / "stdout") {
    std::fflush(stdout);
    saved_ = dup(STDOUT_FILENO);
    int fd = open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
  }
  ~CaptureStdout() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    dup2(saved_, STDOUT_FILENO);
    close(saved_);
    saved_ = -1;
  }
  TempDir dir_;
  std::filesystem::path file_;
  int saved_ = -1;
};

struct FakeLab {
  TempDir dir;
  lab::Lab lab;
  FakeProvider* provider = nullptr;
  FakeGuests guests;
  executor::ConnectFn connect;

  explicit FakeLab(const std::string& toml) {
    setenv("VMLAB_HOME", (dir / "home").c_str(), 1);  // no boxes: user vmlab, no guest init
    executor::reset_cancel();
    config::LoadOptions o;
    o.use_env = false;
    o.step_types = &provisioners::step_types();
    lab.topo = config::load_string(toml, dir / "Vmfile", o);
    lab.store = std::make_unique<state::Store>(lab.topo.project_dir);
    lab.store->load();
    lab.lab_id = state::make_lab_id(lab.topo.name, lab.topo.project_dir);
    auto p = std::make_unique<FakeProvider>();
    provider = p.get();
    lab.provider = std::move(p);
    connect = [this](const communicator::SshTarget& t, std::chrono::steady_clock::time_point,
                     const std::function<void()>&) -> std::unique_ptr<communicator::Remote> {
      return std::make_unique<FakeRemote>(t, guests);
    };
  }
  ~FakeLab() { executor::reset_cancel(); }

  bool up(executor::UpOptions opts = {}) {
    executor::Reporter rep(true, executor::node_names(lab.topo));
    return executor::up(lab, opts, rep, connect);
  }
  bool step_done(const std::string& node, const std::string& step) {
    auto r = lab.store->get();
    auto m = r.machines.find(node);
    return m != r.machines.end() && m->second.steps.count(step);
  }
};

}  // namespace vmlab::test
