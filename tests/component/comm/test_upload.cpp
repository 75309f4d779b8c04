// SFTP uploads over a real sshd: files, directory trees, modes, parents, errors.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "communicator/ssh_session.hpp"
#include "core/error.hpp"
#include "sshd_fixture.hpp"

using namespace vmlab;
using namespace vmlab::communicator;
namespace fs = std::filesystem;

namespace {
std::string run(SshSession& s, const std::string& cmd) {
  std::string out;
  ExecOptions o;
  o.on_stdout_line = [&](std::string_view l) { out.append(l).append("\n"); };
  o.on_stderr_line = [&](std::string_view l) { out.append("E:").append(l).append("\n"); };
  s.exec(cmd, o);
  return out;
}
}  // namespace

TEST_CASE("upload a file with a given mode into missing parent directories") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir local, remote;
  auto src = local.write("hello.txt", "hello\nworld\n");
  std::string dst = (remote / "a/b/c/hello.txt").string();
  s.upload(src, dst, 0640);
  CHECK(run(s, "cat " + dst) == "hello\nworld\n");
  CHECK(run(s, "stat -c %a " + dst) == "640\n");

  // Overwrite with new content; the local mode is kept when none is given.
  fs::permissions(src, fs::perms::owner_all);
  std::ofstream(src) << "v2\n";
  s.upload(src, dst);
  CHECK(run(s, "cat " + dst) == "v2\n");
  CHECK(run(s, "stat -c %a " + dst) == "700\n");
}

TEST_CASE("upload a directory tree, modes preserved") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir local, remote;
  auto a = local.write("tree/a.sh", "#!/bin/sh\necho a\n");
  auto b = local.write("tree/sub/b.txt", "bee\n");
  local.write("tree/sub/deeper/c.txt", std::string(100000, 'x'));  // more than one SFTP write
  fs::permissions(a, fs::perms(0755));
  fs::permissions(b, fs::perms(0600));
  fs::permissions(local / "tree/sub", fs::perms(0750));
  std::string dst = (remote / "x/tree").string();
  s.upload(local / "tree", dst);
  CHECK(run(s, "cd " + dst + " && find . | sort") ==
        ".\n./a.sh\n./sub\n./sub/b.txt\n./sub/deeper\n./sub/deeper/c.txt\n");
  CHECK(run(s, "cd " + dst + " && stat -c '%n %a' a.sh sub sub/b.txt") ==
        "a.sh 755\nsub 750\nsub/b.txt 600\n");
  CHECK(run(s, dst + "/a.sh") == "a\n");
  CHECK(run(s, "wc -c < " + dst + "/sub/deeper/c.txt") == "100000\n");
}

TEST_CASE("upload errors name the path and the SFTP status") {
  REQUIRE_SSHD();
  auto& sshd = test::shared_sshd();
  auto s = SshSession::connect(sshd.target());
  test::TempDir local, remote;
  auto src = local.write("f", "x");
  auto blocker = remote.write("file", "I am a file");
  std::string where = fmt::format("node1 (127.0.0.1:{})", sshd.port());
  CHECK_THROWS_WITH_AS(s.upload(src, blocker.string() + "/sub/f"),
                       fmt::format("SFTP upload to {} failed: cannot create directory {}: "
                                   "NOT_A_DIRECTORY",
                                   where, blocker.string())
                           .c_str(),
                       SshError);
  fs::create_directories(remote / "dir");
  CHECK_THROWS_WITH_AS(s.upload(src, (remote / "dir").string()),
                       fmt::format("SFTP upload to {} failed: cannot open for writing {}: FAILURE",
                                   where, (remote / "dir").string())
                           .c_str(),
                       SshError);
  CHECK_THROWS_WITH_AS(s.upload(local / "missing", "/tmp/x"),
                       fmt::format("SFTP upload to {} failed: cannot read local file {}: No such "
                                   "file or directory",
                                   where, (local / "missing").string())
                           .c_str(),
                       SshError);
  CHECK(s.exec("true") == 0);
}

TEST_CASE("download a file: content, mode 0600 by default, no partial file on failure") {
  REQUIRE_SSHD();
  auto s = SshSession::connect(test::shared_sshd().target());
  test::TempDir local, remote;
  const std::string big(200000, 'k');  // more than one SFTP read
  auto src = remote.write("etc/admin.conf", big);
  s.download(src.string(), local / "kubeconfig");
  std::ifstream in(local / "kubeconfig", std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  CHECK(got.str() == big);
  CHECK((fs::status(local / "kubeconfig").permissions() & fs::perms::all) ==
        (fs::perms::owner_read | fs::perms::owner_write));
  s.download(src.string(), local / "copy", 0644);
  CHECK((fs::status(local / "copy").permissions() & fs::perms::all) == fs::perms(0644));

  const std::string missing = (remote / "nope").string();
  CHECK_THROWS_WITH_AS(
      s.download(missing, local / "nope"),
      doctest::Contains(("download from " + test::shared_sshd().target().label).c_str()), SshError);
  CHECK_THROWS_WITH_AS(
      s.download(missing, local / "nope"),
      doctest::Contains(("cannot open for reading " + missing + ": NO_SUCH_FILE").c_str()),
      SshError);
  CHECK(!fs::exists(local / "nope"));
  CHECK(!fs::exists(local / "nope.vmlab-tmp"));
  // The session is usable afterwards (a fresh connection after the SFTP subsystem).
  CHECK(run(s, "echo still") == "still\n");
}
