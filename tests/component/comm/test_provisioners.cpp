// shell and file provisioners against a real sshd.
#include <doctest/doctest.h>

#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "provisioners/file/file_spec.hpp"
#include "provisioners/provisioner.hpp"
#include "provisioners/shell/shell_spec.hpp"
#include "sshd_fixture.hpp"

using namespace vmlab;
using namespace vmlab::communicator;
using namespace vmlab::provisioners;

namespace {
struct Sink {
  std::vector<std::string> lines;
  OutputSink fn() {
    return [this](const std::string& node, std::string_view l, bool err) {
      lines.push_back(node + (err ? " E " : " O ") + std::string(l));
    };
  }
};
config::Node node_named(const std::string& n) {
  config::Node node;
  node.name = n;
  return node;
}
std::string remote_out(SshSession& s, const std::string& cmd) {
  std::string out;
  ExecOptions o;
  o.on_stdout_line = [&](std::string_view l) { out.append(l).append("\n"); };
  s.exec(cmd, o);
  return out;
}
}  // namespace

TEST_CASE("shell provisioner: inline script with env, privileged") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  auto node = node_named("node1");
  config::ProvisionStep step;
  step.name = "greet";
  step.type = "shell";
  auto sh = std::make_shared<ShellSettings>();
  sh->inline_script = "echo \"hello $WHO\"\necho warn >&2\nid -u\n";
  sh->env = {{"WHO", "world"}};
  step.settings = sh;
  Sink sink;
  Context ctx{s, node, step, "/", sink.fn()};
  auto p = make_provisioner("shell");
  CHECK(p->probe(ctx) == ProbeResult::Unknown);
  CHECK(run_step(*p, ctx) == StepOutcome::Applied);
  // Order holds within a stream; stdout and stderr are separate pipes on the guest.
  std::vector<std::string> out, err;
  for (const auto& l : sink.lines) (l.find(" E ") != std::string::npos ? err : out).push_back(l);
  CHECK(out == std::vector<std::string>{"node1 O hello world", "node1 O 0"});
  CHECK(err == std::vector<std::string>{"node1 E warn"});
  CHECK(remote_out(s, "ls /tmp | grep -c '^vmlab-greet-' || true") == "0\n");  // cleaned up
}

TEST_CASE("shell provisioner: script path with args; a failing script fails loudly") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir proj;
  auto script = proj.write("scripts/config.sh",
                           "#!/bin/sh\nset -eu\necho \"args: $# [$1] [$2]\"\necho \"mode: $MODE\"\n");
  auto node = node_named("node1");
  config::ProvisionStep step;
  step.name = "config";
  step.type = "shell";
  auto sh = std::make_shared<ShellSettings>();
  sh->path = script;
  sh->args = {"3", "two words"};
  sh->env = {{"MODE", "fast"}};
  sh->privileged = false;
  step.settings = sh;
  Sink sink;
  Context ctx{s, node, step, proj.path(), sink.fn()};
  auto p = make_provisioner("shell");
  p->apply(ctx);
  CHECK(sink.lines == std::vector<std::string>{"node1 O args: 2 [3] [two words]", "node1 O mode: fast"});

  config::ProvisionStep bad;
  bad.name = "fail";
  bad.type = "shell";
  auto bad_sh = std::make_shared<ShellSettings>();
  bad_sh->inline_script = "echo about to fail\nexit 3\n";
  bad.settings = bad_sh;
  Context bad_ctx{s, node, bad, proj.path(), sink.fn()};
  CHECK_THROWS_WITH_AS(run_step(*p, bad_ctx), "shell step 'fail' on node1: script exited with status 3",
                       Error);

  config::ProvisionStep missing = step;
  auto missing_sh = std::make_shared<ShellSettings>(*sh);
  missing_sh->path = proj / "nope.sh";
  missing.settings = missing_sh;
  Context missing_ctx{s, node, missing, proj.path(), sink.fn()};
  CHECK_THROWS_WITH_AS(p->apply(missing_ctx),
                       fmt::format("shell step 'config' on node1: cannot read script {}",
                                   (proj / "nope.sh").string())
                           .c_str(),
                       Error);
}

TEST_CASE("file provisioner: a file, probed by sha256 before and after") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir proj, guest;
  auto node = node_named("node1");
  config::ProvisionStep step;
  step.name = "motd";
  step.type = "file";
  auto f = std::make_shared<FileSettings>();
  f->source = proj.write("files/motd", "welcome\n");
  f->destination = (guest / "etc/motd").string();
  step.settings = f;
  Context ctx{s, node, step, proj.path(), {}};
  auto p = make_provisioner("file");
  CHECK(p->probe(ctx) == ProbeResult::Absent);
  CHECK(run_step(*p, ctx) == StepOutcome::Applied);
  CHECK(p->probe(ctx) == ProbeResult::Present);
  CHECK(remote_out(s, "cat " + f->destination) == "welcome\n");
  CHECK(run_step(*p, ctx) == StepOutcome::AlreadyPresent);
  s.exec("echo changed > " + f->destination);
  CHECK(p->probe(ctx) == ProbeResult::Absent);
}

TEST_CASE("file provisioner: a directory tree") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir proj, guest;
  proj.write("conf/a.conf", "a=1\n");
  proj.write("conf/sub/b.conf", "b=2\n");
  auto node = node_named("node1");
  config::ProvisionStep step;
  step.name = "conf";
  step.type = "file";
  auto f = std::make_shared<FileSettings>();
  f->source = proj / "conf";
  f->destination = (guest / "opt/conf").string();
  step.settings = f;
  Context ctx{s, node, step, proj.path(), {}};
  auto p = make_provisioner("file");
  CHECK(p->probe(ctx) == ProbeResult::Absent);
  CHECK(run_step(*p, ctx) == StepOutcome::Applied);
  CHECK(remote_out(s, "cat " + f->destination + "/sub/b.conf") == "b=2\n");
  CHECK(p->probe(ctx) == ProbeResult::Present);
  s.exec("rm " + f->destination + "/a.conf");
  CHECK(p->probe(ctx) == ProbeResult::Absent);
}
