// install_box(): local archives of a box directory, what source.json records, list sizes.
#include <doctest/doctest.h>

#include <cstdlib>

#include "boxes/box.hpp"
#include "boxes/install.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "testutil.hpp"

using namespace vmlab;
namespace fs = std::filesystem;

namespace {

std::string qcow2(unsigned mib) {
  std::string h("QFI\xfb", 4);
  h += std::string(20, '\0');
  unsigned long long size = static_cast<unsigned long long>(mib) * 1024 * 1024;
  for (int i = 7; i >= 0; --i) h += static_cast<char>((size >> (8 * i)) & 0xff);
  return h;
}

struct Home {
  test::TempDir home, src;
  Home() { setenv("VMLAB_HOME", home.path().c_str(), 1); }
  std::vector<std::string> store() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(home / "boxes", ec))
      out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace

TEST_CASE("a path add records the absolute path and the file's digest") {
  Home h;
  const auto disk = h.src.write("d.qcow2", qcow2(64));
  auto b = boxes::install_box("d", disk);
  CHECK(b.source == disk.string());
  CHECK(b.sha256 == util::to_hex(util::sha256(qcow2(64))));
  CHECK(b.size_bytes > 0);
  h.src.write("dir/box.qcow2", qcow2(32));
  auto c = boxes::install_box("c", h.src / "dir");
  CHECK(c.source == (h.src / "dir").string());
  CHECK(c.sha256 == util::to_hex(util::sha256(qcow2(32))));  // a directory: its disk
}

TEST_CASE("a tar.gz, plain tar or top-level-folder tar of a box directory installs") {
  Home h;
  h.src.write("b/box.qcow2", qcow2(128));
  h.src.write("b/box.json", R"({"user":"root","initrd":"initrd.img"})");
  h.src.write("b/initrd.img", "I");
  const std::string s = h.src.path().string();
  REQUIRE(test::run_shell("tar -czf " + s + "/nested.tgz -C " + s + " b").code == 0);
  REQUIRE(test::run_shell("tar -cf " + s + "/flat.tar -C " + s + "/b .").code == 0);
  auto n = boxes::install_box("nested", h.src / "nested.tgz");
  CHECK(n.user == "root");
  CHECK(fs::exists(n.initrd));
  CHECK(n.sha256 == *util::sha256_file_hex(h.src / "nested.tgz"));  // the archive's digest
  auto f = boxes::install_box("flat", h.src / "flat.tar");
  CHECK(f.virtual_size_mib == 128);
  CHECK(h.store() == std::vector<std::string>{"flat", "nested"});  // no unpack dir left
}

TEST_CASE("an archive with no box inside goes to add_box, which refuses it; nothing is left") {
  Home h;
  h.src.write("x/readme.txt", "hello");
  const std::string s = h.src.path().string();
  REQUIRE(test::run_shell("tar -czf " + s + "/x.tgz -C " + s + " x").code == 0);
  CHECK_THROWS_AS(boxes::install_box("x", h.src / "x.tgz"), UsageError);
  CHECK(h.store().empty());
}

TEST_CASE("an archive entry leaving the destination is refused") {
  Home h;
  h.src.write("w/box.qcow2", qcow2(8));
  const std::string s = h.src.path().string();
  REQUIRE(test::run_shell("cd " + s +
                          "/w && tar -czf ../evil.tgz --transform 's,^,../,' box.qcow2 "
                          "2>/dev/null")
              .code == 0);
  CHECK_THROWS_WITH_AS(boxes::install_box("evil", h.src / "evil.tgz"),
                       doctest::Contains("unsafe entry \"../box.qcow2\""), UsageError);
  CHECK(h.store().empty());
  CHECK_FALSE(fs::exists(h.home / "box.qcow2"));
}

TEST_CASE("install_box refuses a taken name before unpacking") {
  Home h;
  const auto disk = h.src.write("d.qcow2", qcow2(8));
  boxes::install_box("d", disk);
  CHECK_THROWS_WITH_AS(boxes::install_box("d", disk),
                       "box \"d\" already exists (remove it first: vmlab box remove d)",
                       UsageError);
}
