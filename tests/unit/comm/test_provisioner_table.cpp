#include <doctest/doctest.h>

#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/file/file.hpp"
#include "provisioners/file/file_spec.hpp"
#include "provisioners/outputs.hpp"
#include "provisioners/provisioner.hpp"
#include "provisioners/shell/shell.hpp"
#include "provisioners/shell/shell_spec.hpp"
#include "testutil.hpp"

using namespace vmlab;
using namespace vmlab::provisioners;

namespace {
// A Remote that must never be used (the provisioners under test here do not touch it).
class NoRemote : public communicator::Remote {
 public:
  int exec(const std::string&, const communicator::ExecOptions&) override { throw Error("no"); }
  void upload(const std::filesystem::path&, const std::string&, std::optional<int>) override {
    throw Error("no");
  }
  void download(const std::string&, const std::filesystem::path&, int) override {
    throw Error("no");
  }
  const communicator::SshTarget& target() const override { return t_; }
  communicator::SshTarget t_;
};

struct Scripted : Provisioner {
  std::vector<ProbeResult> answers;
  int applied = 0;
  ProbeResult probe(Context&) override {
    auto r = answers.front();
    answers.erase(answers.begin());
    return r;
  }
  void apply(Context&) override { ++applied; }
};
}  // namespace

TEST_CASE("the table knows shell and file; unknown types are usage errors") {
  CHECK(make_provisioner("shell") != nullptr);
  CHECK(make_provisioner("file") != nullptr);
  CHECK(make_provisioner("kubernetes") != nullptr);
  CHECK_THROWS_WITH_AS(
      make_provisioner("ansible"),
      "unknown provisioner type 'ansible' (known: shell, file, docker, kubernetes)", UsageError);
}

TEST_CASE("run_step: probe -> apply -> re-probe, fail loudly") {
  NoRemote r;
  config::Node node;
  node.name = "w1";
  config::ProvisionStep step;
  step.type = "file";
  step.name = "conf";
  Context ctx{r, node, step, "/", {}};
  Scripted present;
  present.answers = {ProbeResult::Present};
  CHECK(run_step(present, ctx) == StepOutcome::AlreadyPresent);
  CHECK(present.applied == 0);
  Scripted forced;
  forced.answers = {ProbeResult::Present, ProbeResult::Present};
  CHECK(run_step(forced, ctx, true) == StepOutcome::Applied);
  Scripted unknown;
  unknown.answers = {ProbeResult::Unknown, ProbeResult::Unknown};
  CHECK(run_step(unknown, ctx) == StepOutcome::Applied);
  Scripted broken;
  broken.answers = {ProbeResult::Absent, ProbeResult::Absent};
  CHECK_THROWS_WITH_AS(run_step(broken, ctx),
                       "file step 'conf' on w1: applied, but the probe still finds it absent", Error);
  CHECK(broken.applied == 1);
}

TEST_CASE("shell helpers: remote path and command line") {
  CHECK(shell_remote_path("my step/1", "echo hi\n") ==
        "/tmp/vmlab-my_step_1-" + communicator::to_hex(communicator::sha256("echo hi\n")).substr(0, 12) + ".sh");
  CHECK(shell_command("/tmp/x.sh", {"3", "a b", "it's"}) == "'/tmp/x.sh' '3' 'a b' 'it'\\''s'");
}

TEST_CASE("shell inline command: writes, runs with args, removes, keeps the exit status") {
  // Run by a real /bin/sh: a script with quotes and a shebang, args with a space and a quote.
  test::TempDir tmp;
  const std::string f = (tmp / "vmlab-step-abc.sh").string();
  const std::string script = "#!/bin/sh\necho \"it's $# $2\"\nexit 3\n";
  auto r = test::run_shell(shell_inline_command(f, script, {"a b", "c'd"}));
  CHECK(r.code == 3);
  CHECK(r.out == "it's 2 c'd\n");
  CHECK_FALSE(std::filesystem::exists(f));
  // A stale read-only file of an earlier run is replaced, not written through.
  tmp.write("vmlab-step-abc.sh", "exit 9\n");
  std::filesystem::permissions(f, std::filesystem::perms::owner_read);
  r = test::run_shell(shell_inline_command(f, "#!/bin/sh\necho fresh\n", {}));
  CHECK(r.code == 0);
  CHECK(r.out == "fresh\n");
  CHECK_FALSE(std::filesystem::exists(f));
}

TEST_CASE("file helpers: sha256sum parsing and local digests") {
  std::string h(64, 'a');
  auto m = parse_sha256sum(h + "  ./a b\n" + h + " *./bin\njunk\n");
  CHECK(m.size() == 2);
  CHECK(m["./a b"] == h);
  CHECK(m["./bin"] == h);
  test::TempDir tmp;
  tmp.write("d/x", "abc");
  tmp.write("d/s/y", "");
  auto d = local_digests(tmp / "d");
  CHECK(d.size() == 2);
  CHECK(d["./x"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(local_digests(tmp / "d/x").at(".") == d["./x"]);
}

TEST_CASE("step outputs: secrets are masked and never kept for the record") {
  StepOutputs out;
  out.put("m", "init", "api", "192.168.56.10:6443", false);
  out.put("m", "init", "token", "abcdef.0123456789abcdef", true);
  CHECK(out.get("m", "init", "token") == "abcdef.0123456789abcdef");
  CHECK(!out.get("m", "init", "nope"));
  CHECK(!out.get("w", "init", "token"));
  CHECK(out.public_values("m", "init") ==
        std::map<std::string, std::string>{{"api", "192.168.56.10:6443"}});
  CHECK(out.redact("kubeadm join --token abcdef.0123456789abcdef x abcdef.0123456789abcdef") ==
        "kubeadm join --token <redacted> x <redacted>");
  CHECK(out.redact("192.168.56.10:6443") == "192.168.56.10:6443");
  StepOutputs later;
  later.restore("m", "init", out.public_values("m", "init"));
  CHECK(later.get("m", "init", "api") == "192.168.56.10:6443");
  CHECK(!later.get("m", "init", "token"));
}

TEST_CASE("a step digest covers the content of its files, not only their names") {
  test::TempDir tmp;
  tmp.write("d/a.txt", "one");
  tmp.write("d/sub/b.txt", "two");
  FileSettings f;
  f.source = tmp / "d";
  f.destination = "/opt/d";
  auto digest = [&] {
    config::DigestBuilder d;
    f.digest(d);
    return d.hex();
  };
  const std::string first = digest();
  CHECK(digest() == first);
  tmp.write("d/sub/b.txt", "three");
  const std::string changed = digest();
  CHECK(changed != first);
  tmp.write("d/new.txt", "");
  CHECK(digest() != changed);
  ShellSettings sh;
  sh.path = tmp / "d/a.txt";
  config::DigestBuilder d1;
  sh.digest(d1);
  tmp.write("d/a.txt", "uno");
  config::DigestBuilder d2;
  sh.digest(d2);
  CHECK(d1.hex() != d2.hex());
}

TEST_CASE("TempFile: a unique file per holder (steps of several nodes at once), removed after") {
  std::filesystem::path a_path, b_path;
  {
    const vmlab::provisioners::TempFile a("{}\n", "vmlab-daemon");
    const vmlab::provisioners::TempFile b("{}\n", "vmlab-daemon");
    a_path = a.path();
    b_path = b.path();
    CHECK(a_path != b_path);
    CHECK(std::filesystem::exists(a_path));
    CHECK(std::filesystem::file_size(b_path) == 3);
    CHECK((std::filesystem::status(a_path).permissions() & std::filesystem::perms::others_read) ==
          std::filesystem::perms::none);
  }
  CHECK_FALSE(std::filesystem::exists(a_path));
  CHECK_FALSE(std::filesystem::exists(b_path));
}
