// Vagrant boxes in the box store (src/boxes/vagrant_box): a libvirt .box (tar, gzip'ed or not)
// becomes a box that needs its first login; other providers, formats and non-boxes are refused
// with their exact message and leave nothing behind.
#include "boxes/vagrant_box.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "testutil.hpp"

using namespace vmlab;
namespace fs = std::filesystem;

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

  // Packs the files of src/<dir> (by their names, as `tar` in that directory) into src/<out>.
  fs::path pack(const std::string& dir, const std::string& out, const std::string& names,
                const std::string& tar_flags = "-czf") {
    fs::path file = src.path() / out;
    std::string cmd = "tar -C '" + (src.path() / dir).string() + "' " + tar_flags + " '" +
                      file.string() + "' " + names;
    REQUIRE(std::system(cmd.c_str()) == 0);
    return file;
  }
};

}  // namespace

TEST_CASE("add_box from a gzip'ed libvirt Vagrant box: vagrant user, first login, no seed") {
  Home h;
  h.src.write("v/metadata.json", R"({"provider":"libvirt","format":"qcow2","virtual_size":4})");
  h.src.write("v/box.img", qcow2_header(4096));
  h.src.write("v/Vagrantfile", "Vagrant.configure(\"2\") do |config| end\n");
  auto file = h.pack("v", "debian.box", "./metadata.json ./Vagrantfile ./box.img");
  CHECK(boxes::vagrant::looks_like_box(file));
  auto box = boxes::add_box("deb", file);
  CHECK(box.user == "vagrant");
  CHECK(box.seed == "vagrant");
  CHECK(box.kernel.empty());
  CHECK(box.virtual_size_mib == 4096);
  CHECK(boxes::needs_first_login(box));
  CHECK_FALSE(boxes::reads_seed(box));
  CHECK_FALSE(boxes::guest_init(box));
  CHECK(fs::exists(box.dir / "Vagrantfile"));
  CHECK(fs::exists(box.dir / "vagrant-metadata.json"));
  CHECK_FALSE(fs::exists(box.dir / "box.img"));
  CHECK_FALSE(fs::exists(box.dir / "vagrant-box.img"));
}

TEST_CASE("add_box from a plain tar Vagrant box without Vagrantfile") {
  Home h;
  h.src.write("v/metadata.json", R"({"provider":"libvirt","format":"qcow2","virtual_size":1})");
  h.src.write("v/box.img", qcow2_header(1024));
  auto box = boxes::add_box("plain", h.pack("v", "plain.box", "box.img metadata.json", "-cf"));
  CHECK(box.seed == "vagrant");
  CHECK_FALSE(fs::exists(box.dir / "Vagrantfile"));
  // Cloud-init boxes and the test boxes read their seed and need no first login.
  boxes::Box cloud;
  CHECK(boxes::reads_seed(cloud));
  CHECK_FALSE(boxes::needs_first_login(cloud));
}

TEST_CASE("add_box refuses Vagrant boxes vmlab cannot use, with their reason, leaving nothing") {
  Home h;
  h.src.write("vb/metadata.json", R"({"provider":"virtualbox"})");
  h.src.write("vb/box.ovf", "<ovf/>");
  auto vb = h.pack("vb", "vb.box", "metadata.json box.ovf");
  CHECK_THROWS_WITH_AS(
      boxes::add_box("vb", vb),
      (vb.string() + " cannot be added: it is a Vagrant box for provider \"virtualbox\"; vmlab "
                     "imports libvirt boxes (metadata.json: \"provider\": \"libvirt\", "
                     "\"format\": \"qcow2\")")
          .c_str(),
      UsageError);
  h.src.write("nm/box.img", qcow2_header(10));
  auto nm = h.pack("nm", "nometa.box", "box.img");
  CHECK_THROWS_WITH_AS(
      boxes::add_box("nm", nm),
      (nm.string() + " is not a box: it has no metadata.json (a Vagrant box is a tar of "
                     "metadata.json, box.img and an optional Vagrantfile)")
          .c_str(),
      UsageError);
  h.src.write("ni/metadata.json", R"({"provider":"libvirt","format":"qcow2"})");
  auto ni = h.pack("ni", "noimg.box", "metadata.json");
  CHECK_THROWS_WITH_AS(boxes::add_box("ni", ni),
                       (ni.string() + " is not a box: it has no box.img").c_str(), UsageError);
  h.src.write("raw/metadata.json", R"({"provider":"libvirt","format":"raw"})");
  h.src.write("raw/box.img", "not qcow2");
  auto raw = h.pack("raw", "raw.box", "metadata.json box.img");
  CHECK_THROWS_WITH_AS(
      boxes::add_box("raw", raw),
      (raw.string() +
       " cannot be added: its disk format is \"raw\"; vmlab imports qcow2 libvirt boxes")
          .c_str(),
      UsageError);
  CHECK(boxes::list_boxes().empty());
  std::size_t left = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(h.home.path() / "boxes")) ++left;
  CHECK(left == 0);
}

TEST_CASE("metadata_problem") {
  using boxes::vagrant::metadata_problem;
  CHECK(metadata_problem(R"({"provider":"libvirt","format":"qcow2","virtual_size":4})") == "");
  CHECK(metadata_problem(R"({"provider":"libvirt"})") == "");
  CHECK(metadata_problem("[1]") == "metadata.json is not a JSON object");
  CHECK(metadata_problem(R"({"provider":"libvirt","disks":[{"path":"a.img"},{"path":"b.img"}]})") ==
        "it has several disks (metadata.json \"disks\"); vmlab imports boxes with one disk");
}

TEST_CASE("the embedded insecure key is Vagrant's published pair") {
  std::string priv = boxes::vagrant::kInsecurePrivateKey;
  CHECK(priv.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0) == 0);
  CHECK(priv.size() == 1675);
  std::string pub = boxes::vagrant::kInsecurePublicKey;
  CHECK(pub.rfind("ssh-rsa AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr", 0) ==
        0);
}
