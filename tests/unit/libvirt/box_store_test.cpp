// The box store (src/boxes): add from a directory or a bare qcow2, list, find, remove, errors.
#include <doctest/doctest.h>

#include <cstdlib>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "testutil.hpp"

using namespace vmlab;

namespace {

std::string qcow2_header(unsigned mib) {
  std::string h("QFI\xfb", 4);
  h += std::string(20, '\0');
  unsigned long long size = static_cast<unsigned long long>(mib) * 1024 * 1024;
  for (int i = 7; i >= 0; --i) h += static_cast<char>((size >> (8 * i)) & 0xff);
  return h;
}

struct Home {
  test::TempDir home, src;
  Home() { setenv("VMLAB_HOME", home.path().c_str(), 1); }
};

}  // namespace

TEST_CASE("add_box from a directory copies disk, metadata, kernel and initrd") {
  Home h;
  h.src.write("b/box.qcow2", qcow2_header(2048));
  h.src.write(
      "b/box.json",
      R"({"user":"root","kernel":"vmlinuz","initrd":"initrd.img","cmdline":"console=ttyS0","seed":"vmlab-init"})");
  h.src.write("b/vmlinuz", "K");
  h.src.write("b/initrd.img", "I");
  auto box = boxes::add_box("tiny", h.src / "b");
  CHECK(box.name == "tiny");
  CHECK(box.user == "root");
  CHECK(box.seed == "vmlab-init");
  CHECK(box.cmdline == "console=ttyS0");
  CHECK(box.virtual_size_mib == 2048);
  CHECK(box.disk == h.home / "boxes/tiny/box.qcow2");
  CHECK(box.kernel == h.home / "boxes/tiny/vmlinuz");
  CHECK(std::filesystem::exists(box.initrd));
  auto found = boxes::find_box("tiny");
  REQUIRE(found);
  CHECK(found->kernel == box.kernel);
  CHECK_THROWS_WITH_AS(boxes::add_box("tiny", h.src / "b"),
                       "box \"tiny\" already exists (remove it first: vmlab box remove tiny)",
                       UsageError);
}

TEST_CASE("add_box from a bare qcow2 uses default metadata; list is sorted; remove") {
  Home h;
  auto disk = h.src.write("d.qcow2", qcow2_header(100));
  boxes::add_box("zeta", disk);
  boxes::add_box("alpha", disk);
  auto all = boxes::list_boxes();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "alpha");
  CHECK(all[0].user == "vmlab");
  CHECK(all[0].kernel.empty());
  boxes::remove_box("alpha");
  CHECK_FALSE(boxes::find_box("alpha"));
  CHECK(boxes::list_boxes().size() == 1);
  CHECK_THROWS_WITH_AS(boxes::remove_box("alpha"), "box \"alpha\" is not installed", UsageError);
}

TEST_CASE("add_box rejects what is not a box and leaves nothing behind") {
  Home h;
  auto junk = h.src.write("junk.img", "not a qcow2");
  CHECK_THROWS_WITH_AS(
      boxes::add_box("j", junk),
      (junk.string() +
       " is not a box: expected a directory with box.qcow2, a qcow2 image or a Vagrant .box")
          .c_str(),
      UsageError);
  h.src.write("nodisk/box.json", "{}");
  CHECK_THROWS_WITH_AS(boxes::add_box("j", h.src / "nodisk"),
                       ((h.src / "nodisk").string() + " is not a box: it has no box.qcow2").c_str(),
                       UsageError);
  CHECK_THROWS_WITH_AS(
      boxes::add_box("../x", junk),
      "invalid box name \"../x\": use letters, digits, '.', '_' and '-' (not first), at most 64",
      UsageError);
  CHECK(boxes::list_boxes().empty());
}

TEST_CASE("an invalid box.json is a clear error naming the file") {
  Home h;
  h.src.write("b/box.qcow2", qcow2_header(10));
  h.src.write("b/box.json", "{\"user\": 42}");
  auto meta = (h.src / "b/box.json").string();
  CHECK_THROWS_WITH_AS(boxes::add_box("b", h.src / "b"),
                       ("invalid box metadata " + meta + ": \"user\" must be a string").c_str(),
                       UsageError);
  h.home.write("boxes/broken/box.qcow2", qcow2_header(10));
  h.home.write("boxes/broken/box.json", "{not json");
  try {
    boxes::find_box("broken");
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    std::string msg = e.what();
    CHECK(msg.rfind("invalid box metadata " + (h.home / "boxes/broken/box.json").string() + ": ",
                    0) == 0);
  }
}
