// The docker provisioner's probe -> apply -> re-probe per part, against a scripted guest: a
// Remote that answers the probe script from a model and applies the docker commands it sees.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "provisioners/docker/docker.hpp"

using namespace vmlab;
using namespace vmlab::provisioners;

namespace {

struct Box {
  bool running;
  std::string image_id, spec;
};

class FakeGuest : public communicator::Remote {
 public:
  bool apt = true;
  std::string engine = "20.10.24+dfsg1";
  std::set<std::string> users = {"vmlab"};
  std::map<std::string, std::string> images = {{"lab/web:1", "sha256:aa"}};
  std::map<std::string, Box> boxes;
  std::vector<std::string> commands;  // every command but the probe

  int exec(const std::string& cmd, const communicator::ExecOptions& o) override {
    if (cmd.find("dpkg-query") != std::string::npos) {
      for (const std::string& l : probe()) o.on_stdout_line(l);
      return 0;
    }
    commands.push_back(cmd);
    if (cmd.rfind("docker rm -f '", 0) == 0) boxes.erase(name_in(cmd, "docker rm -f '"));
    if (cmd.rfind("usermod -aG docker '", 0) == 0)
      users.insert(name_in(cmd, "usermod -aG docker '"));
    if (cmd.rfind("docker start '", 0) == 0) boxes[name_in(cmd, "docker start '")].running = true;
    if (cmd.rfind("docker run -d --name '", 0) == 0) {
      const auto at = cmd.find("vmlab.spec=") + 11;
      boxes[name_in(cmd, "docker run -d --name '")] = {true, images.at("lab/web:1"),
                                                       cmd.substr(at, cmd.find(' ', at) - at)};
    }
    return 0;
  }
  void upload(const std::filesystem::path&, const std::string&, std::optional<int>) override {}
  void download(const std::string&, const std::filesystem::path&, int) override {}
  const communicator::SshTarget& target() const override { return t_; }

 private:
  static std::string name_in(const std::string& cmd, const std::string& pre) {
    return cmd.substr(pre.size(), cmd.find('\'', pre.size()) - pre.size());
  }
  std::vector<std::string> probe() const {
    std::vector<std::string> out{"os Test OS 1"};
    if (apt) out.push_back("apt");
    if (engine.empty()) return out.push_back("nopkg docker.io"), out;
    out.push_back("engine " + engine);
    for (const auto& u : users) out.push_back("user " + u);
    for (const auto& [ref, id] : images) out.push_back("image " + id + " [\"" + ref + "\"] null");
    for (const auto& [n, b] : boxes)
      out.push_back("container /" + n + (b.running ? " true " : " false ") + b.image_id + " " +
                    nlohmann::json{{"vmlab.spec", b.spec}}.dump());
    return out;
  }
  communicator::SshTarget t_{"127.0.0.1", 22, "vmlab"};
};

struct Lab {
  FakeGuest guest;
  config::Node node;
  config::ProvisionStep step;
  std::vector<std::string> lines;
  explicit Lab(std::vector<DockerRun> runs) {
    node.name = "n1";
    step.type = step.name = "docker";
    auto s = std::make_shared<DockerSettings>();
    s->runs = std::move(runs);
    step.settings = s;
  }
  StepOutcome run() {
    Context ctx{guest, node, step, "/",
                [this](const std::string&, std::string_view l, bool) { lines.emplace_back(l); }};
    DockerProvisioner p;
    return run_step(p, ctx);
  }
  bool ran(const std::string& needle) const {
    for (const auto& c : guest.commands)
      if (c.find(needle) != std::string::npos) return true;
    return false;
  }
};

DockerRun web(std::vector<std::string> args) {
  return {"web", "lab/web:1", std::move(args), {}, "unless-stopped", {}, ""};
}
DockerRun side() {
  return {"side", "lab/web:1", {"-p", "81:80"}, {}, "unless-stopped", {}, ""};
}

}  // namespace

TEST_CASE("docker: all parts in place -> nothing is run") {
  Lab lab({web({"-p", "80:80"}), side()});
  lab.guest.boxes["web"] = {true, "sha256:aa", run_spec(web({"-p", "80:80"}))};
  lab.guest.boxes["side"] = {true, "sha256:aa", run_spec(side())};
  CHECK(lab.run() == StepOutcome::AlreadyPresent);
  CHECK(lab.guest.commands.empty());
}

TEST_CASE("docker: a changed argument recreates that container only; a stopped one is started") {
  Lab lab({web({"-p", "90:80"}), side()});
  lab.guest.boxes["web"] = {true, "sha256:aa", run_spec(web({"-p", "80:80"}))};
  lab.guest.boxes["side"] = {false, "sha256:aa", run_spec(side())};
  CHECK(lab.run() == StepOutcome::Applied);
  CHECK(lab.ran("docker rm -f 'web'"));
  CHECK(lab.ran("docker run -d --name 'web'"));
  CHECK(lab.ran("docker start 'side'"));
  CHECK_FALSE(lab.ran("docker rm -f 'side'"));
  CHECK_FALSE(lab.ran("docker run -d --name 'side'"));
  CHECK(lab.guest.boxes["web"].spec == run_spec(web({"-p", "90:80"})));
  CHECK(lab.lines.back() == "docker: 2 part(s) changed: container web, container side");
}

TEST_CASE("docker: a rebuilt image (new id) recreates the containers made from the old one") {
  Lab lab({web({"-p", "80:80"})});
  lab.guest.boxes["web"] = {true, "sha256:old", run_spec(web({"-p", "80:80"}))};
  CHECK(lab.run() == StepOutcome::Applied);
  CHECK(lab.ran("docker rm -f 'web'"));
  CHECK(lab.guest.boxes["web"].image_id == "sha256:aa");
}

TEST_CASE("docker: a guest without apt is an error naming the node and its OS") {
  Lab lab({});
  lab.guest.apt = false;
  lab.guest.engine = "";
  CHECK_THROWS_WITH_AS(lab.run(),
                       "docker step 'docker' on n1: n1 (Test OS 1) has no package manager vmlab "
                       "knows; the docker provisioner installs with apt (Debian, Ubuntu)",
                       Error);
}

TEST_CASE("docker: a user outside the docker group is added, and nothing else is done") {
  Lab lab({});
  lab.guest.users.clear();
  CHECK(lab.run() == StepOutcome::Applied);
  CHECK(lab.guest.commands == std::vector<std::string>{"usermod -aG docker 'vmlab'"});
}
