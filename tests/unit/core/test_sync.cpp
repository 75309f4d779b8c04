// Synced folders in `up`: the capability check, the guest mount command, and copy by digest
// (only changed files are sent; the project's .vmlab never is), on the fake provider/remote.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "communicator/digest.hpp"
#include "executor/sync.hpp"
#include "fake_lab.hpp"
#include "provisioners/file/tree_copy.hpp"

using namespace vmlab;
using vmlab::test::FakeLab;

namespace {

// The fake guest answers the digest listing (`find . -type f -exec sha256sum`) of `dir` from
// what was uploaded there.
void answer_digests(FakeLab& f, const std::string& dir) {
  f.guests.answer = [&f, dir](const std::string& node, const std::string& cmd) {
    if (cmd.find("sha256sum") == std::string::npos) return std::string();
    std::string out;
    std::lock_guard lock(f.guests.mu);
    for (const auto& [key, content] : f.guests.files)
      if (key.first == node && key.second.rfind(dir + "/", 0) == 0)
        out += communicator::to_hex(communicator::sha256(content)) + "  ./" +
               key.second.substr(dir.size() + 1) + "\n";
    return out;
  };
}

size_t uploads_under(FakeLab& f, const std::string& node, const std::string& dir) {
  std::lock_guard lock(f.guests.mu);
  size_t n = 0;
  for (const auto& [key, content] : f.guests.files)
    if (key.first == node && key.second.rfind(dir + "/", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("mount folders on a provider without sync_mount: refused before anything is created") {
  FakeLab f(
      "name = \"s\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"a\"\n"
      "  [[node.sync]]\n  host = \".\"\n  guest = \"/vmlab\"\n"
      "  [[node.sync]]\n  host = \".\"\n  guest = \"/c\"\n  mode = \"copy\"\n");
  f.provider->caps.sync_mount = false;
  try {
    f.up();
    FAIL("up did not refuse");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) ==
          (f.lab.topo.vmfile.string() +
           ":6:3: node \"a\": synced folder /vmlab has mode = \"mount\", which the libvirt "
           "provider cannot do; use mode = \"copy\"\nnothing was created"));
  }
  CHECK(f.provider->creates == 0);
}

TEST_CASE("the guest mount command mounts once, and says when it was mounted already") {
  CHECK(executor::mount_command({"9p", "vmlab0", "trans=virtio,version=9p2000.L"}, "/my dir") ==
        "mkdir -p '/my dir' || exit 1; if grep -qF -- ' /my\\040dir ' /proc/mounts; then echo "
        "'already mounted'; else mount -t '9p' -o 'trans=virtio,version=9p2000.L' 'vmlab0' "
        "'/my dir' && echo mounted; fi");
  CHECK(executor::mount_command({"vboxsf", "vmlab1", ""}, "/v") ==
        "mkdir -p '/v' || exit 1; if grep -qF -- ' /v ' /proc/mounts; then echo 'already "
        "mounted'; else mount -t 'vboxsf' 'vmlab1' '/v' && echo mounted; fi");
}

TEST_CASE("copy folders: sent at up, only what changed at the next up; mounts after each start") {
  FakeLab f(
      "name = \"s\"\n[defaults]\nbox = \"b\"\n[[node]]\nname = \"a\"\n"
      "  [[node.sync]]\n  host = \".\"\n  guest = \"/c\"\n  mode = \"copy\"\n"
      "  [[node.sync]]\n  host = \".\"\n  guest = \"/m\"\n");
  f.provider->caps.sync_mount = true;
  f.dir.write("one.txt", "1");
  f.dir.write("sub/two.txt", "2");
  answer_digests(f, "/c");
  std::vector<std::string> cmds;
  auto answer = f.guests.answer;
  f.guests.answer = [&](const std::string& node, const std::string& cmd) {
    {
      std::lock_guard lock(f.guests.mu);
      cmds.push_back(cmd);
    }
    return answer(node, cmd);
  };
  test::CaptureStdout out;
  REQUIRE(f.up());
  // Every project file but .vmlab/ (the lab's keys and record).
  const size_t files = provisioners::local_digests(f.dir.path(), {".vmlab"}).size();
  CHECK(files >= 2);
  CHECK(uploads_under(f, "a", "/c") == files);
  {
    std::lock_guard lock(f.guests.mu);
    CHECK(f.guests.files.count({"a", "/c/sub/two.txt"}) == 1);
    for (const auto& [key, content] : f.guests.files)
      CHECK(key.second.find(".vmlab") == std::string::npos);
  }
  const auto mounts = std::count_if(cmds.begin(), cmds.end(), [](const std::string& c) {
    return c.find("mount -t 'fakefs' -o 'rw' 'share1' '/m'") != std::string::npos;
  });
  CHECK(mounts == 1);

  // Nothing changed: the next up is not a no-op (it checks), but sends nothing.
  {
    std::lock_guard lock(f.guests.mu);
    f.guests.files.erase({"a", "/c/one.txt"});
    f.guests.files[{"a", "/c/one.txt"}] = "1";
  }
  f.dir.write("sub/two.txt", "22");
  REQUIRE(f.up());
  const std::string text = out.text();
  CHECK(text.find(fmt::format("/c: {} file(s) sent (", files)) != std::string::npos);
  CHECK(text.find(fmt::format("/c: 1 file(s) sent (2 B), {} unchanged", files - 1)) !=
        std::string::npos);
  {
    std::lock_guard lock(f.guests.mu);
    CHECK(f.guests.files[{"a", "/c/sub/two.txt"}] == "22");
  }
  CHECK(f.provider->creates == 1);
}
