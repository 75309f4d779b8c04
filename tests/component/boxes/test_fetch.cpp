// Box downloads against a real HTTP server on 127.0.0.1 (box_http_server.py, started here):
// success, a wrong checksum, a 404, a truncated download continued with a Range request, a
// server that ignores ranges, a tarball of a box directory; nothing in the store after each
// failure.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "boxes/box.hpp"
#include "boxes/fetch.hpp"
#include "boxes/install.hpp"
#include "core/error.hpp"
#include "core/sha256.hpp"
#include "testutil.hpp"

using namespace vmlab;
namespace fs = std::filesystem;

namespace {

std::string qcow2_image(unsigned mib, size_t bytes) {
  std::string h("QFI\xfb", 4);
  h += std::string(20, '\0');
  unsigned long long size = static_cast<unsigned long long>(mib) * 1024 * 1024;
  for (int i = 7; i >= 0; --i) h += static_cast<char>((size >> (8 * i)) & 0xff);
  while (h.size() < bytes) h += static_cast<char>('a' + h.size() % 26);
  return h;
}

// The server, started on 127.0.0.1 for one test case and killed (by its pid) at the end.
class Server {
 public:
  explicit Server(const fs::path& dir) : log_(dir.parent_path() / "requests.log") {
    const fs::path portfile = dir.parent_path() / "port";
    const std::string script = std::string(VMLAB_TESTS_DIR) + "/component/boxes/box_http_server.py";
    pid_ = fork();
    if (pid_ == 0) {
      execlp("python3", "python3", script.c_str(), dir.c_str(), log_.c_str(), portfile.c_str(),
             nullptr);
      _exit(127);
    }
    for (int i = 0; i < 200 && !fs::exists(portfile); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    std::ifstream(portfile) >> port_;
  }
  ~Server() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  bool up() const { return port_ > 0; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + path;
  }
  std::string requests() const {
    std::ifstream f(log_);
    return std::string(std::istreambuf_iterator<char>(f), {});
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

struct Fixture {
  test::TempDir home, www_root;
  fs::path www;
  Fixture() : www(www_root / "www") {
    setenv("VMLAB_HOME", home.path().c_str(), 1);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("all_proxy");
    fs::create_directories(www);
  }
  std::string publish(const std::string& name, const std::string& content) {
    std::ofstream(www / name, std::ios::binary) << content;
    return util::to_hex(util::sha256(content));
  }
  // Entries of the box store (boxes/) and the download cache, lock files aside.
  std::vector<std::string> leftovers() const {
    std::vector<std::string> out;
    for (const char* d : {"boxes", "downloads"}) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(home / d, ec)) {
        std::string n = e.path().filename().string();
        if (n.size() > 5 && n.substr(n.size() - 5) == ".lock") continue;
        out.push_back(std::string(d) + "/" + n);
      }
    }
    return out;
  }
};

#define REQUIRE_SERVER(s) \
  if (!(s).up()) VMLAB_SKIP("python3 could not start the test HTTP server on 127.0.0.1")

}  // namespace

TEST_CASE("a qcow2 by URL: downloaded, verified, installed with its source and digest") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string img = qcow2_image(512, 300000);
  const std::string digest = f.publish("disk.qcow2", img);
  std::vector<boxes::FetchProgress> seen;
  boxes::FetchOptions o;
  o.progress = [&](const boxes::FetchProgress& p) {
    seen.push_back(p);
    return true;
  };
  auto box = boxes::add_box_from_url("cloud", srv.url("disk.qcow2"), "SHA256:" + digest, o);
  CHECK(box.virtual_size_mib == 512);
  CHECK(box.source == srv.url("disk.qcow2"));
  CHECK(box.sha256 == digest);
  CHECK(box.size_bytes >= img.size());
  REQUIRE(!seen.empty());
  CHECK(seen.back().done == img.size());
  CHECK(seen.back().total == img.size());
  auto found = boxes::find_box("cloud");
  REQUIRE(found);
  CHECK(found->sha256 == digest);
  // The verified download went into the store; nothing else is left.
  CHECK(f.leftovers() == std::vector<std::string>{"boxes/cloud"});
}

TEST_CASE("a wrong checksum: a clear error, nothing in the store or the cache") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  f.publish("disk.qcow2", qcow2_image(64, 5000));
  const std::string wrong(64, 'a');
  CHECK_THROWS_WITH_AS(
      boxes::add_box_from_url("bad", srv.url("disk.qcow2"), wrong),
      doctest::Contains(("does not match its sha256: expected " + wrong + ", got ").c_str()),
      Error);
  try {
    boxes::add_box_from_url("bad", srv.url("disk.qcow2"), wrong);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("it was deleted and nothing was installed") !=
          std::string::npos);
  }
  CHECK_FALSE(boxes::find_box("bad"));
  CHECK(f.leftovers().empty());
}

TEST_CASE("a 404: the status in the error, nothing left") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string url = srv.url("missing.qcow2");
  CHECK_THROWS_WITH_AS(boxes::add_box_from_url("gone", url, std::string(64, 'b')),
                       ("cannot download " + url + ": HTTP 404 Not Found").c_str(), Error);
  CHECK(f.leftovers().empty());
}

TEST_CASE("a truncated download fails, keeps its part outside the store, and resumes") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string img = qcow2_image(128, 400000);
  const std::string digest = f.publish("big.qcow2", img);
  const std::string url = srv.url("trunc-once/big.qcow2");
  CHECK_THROWS_WITH_AS(boxes::add_box_from_url("big", url, digest),
                       ("cannot download " + url +
                        ": the connection closed after 195 KiB of 390 KiB; the 195 KiB that "
                        "arrived are kept, and the next try continues from there")
                           .c_str(),
                       Error);
  CHECK_FALSE(boxes::find_box("big"));
  CHECK(f.leftovers() == std::vector<std::string>{"downloads/sha256-" + digest + ".part"});
  CHECK(fs::file_size(boxes::download_path(digest).string() + ".part") == img.size() / 2);

  std::vector<boxes::FetchProgress> seen;
  boxes::FetchOptions o;
  o.progress = [&](const boxes::FetchProgress& p) {
    seen.push_back(p);
    return true;
  };
  auto box = boxes::add_box_from_url("big", url, digest, o);
  CHECK(box.sha256 == digest);
  REQUIRE(!seen.empty());
  CHECK(seen.front().resumed_from == img.size() / 2);
  CHECK(seen.back().done == img.size());
  const std::string log = srv.requests();
  CHECK(log == "/trunc-once/big.qcow2 -\n/trunc-once/big.qcow2 bytes=" +
                   std::to_string(img.size() / 2) + "-\n");
  std::ifstream in(box.disk, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == img);
  CHECK(f.leftovers() == std::vector<std::string>{"boxes/big"});
}

TEST_CASE("a server that ignores the Range: the part is discarded and the whole file taken") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string img = qcow2_image(128, 100000);
  const std::string digest = f.publish("d.qcow2", img);
  fs::create_directories(f.home / "downloads");
  std::ofstream(boxes::download_path(digest).string() + ".part", std::ios::binary)
      << img.substr(0, 30000);
  auto box = boxes::add_box_from_url("d", srv.url("norange/d.qcow2"), digest);
  std::ifstream in(box.disk, std::ios::binary);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == img);
}

TEST_CASE("a complete part (416 on the Range) is verified and used") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string img = qcow2_image(128, 20000);
  const std::string digest = f.publish("c.qcow2", img);
  fs::create_directories(f.home / "downloads");
  std::ofstream(boxes::download_path(digest).string() + ".part", std::ios::binary) << img;
  auto box = boxes::add_box_from_url("c", srv.url("c.qcow2"), digest);
  CHECK(box.sha256 == digest);
  CHECK(srv.requests() == "/c.qcow2 bytes=20000-\n");
}

TEST_CASE("a tar.gz of a box directory is unpacked into a box; a non-box is refused") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  test::TempDir src;
  src.write("mybox/box.qcow2", qcow2_image(1024, 4000));
  src.write("mybox/box.json", R"({"user":"root","kernel":"vmlinuz","seed":"vmlab-init"})");
  src.write("mybox/vmlinuz", "kernel");
  const auto tar = f.www / "mybox.tar.gz";
  REQUIRE(
      test::run_shell("tar -czf " + tar.string() + " -C " + src.path().string() + " mybox").code ==
      0);
  const std::string digest = *util::sha256_file_hex(tar);
  auto box = boxes::add_box_from_url("tiny", srv.url("mybox.tar.gz"), digest);
  CHECK(box.user == "root");
  CHECK(box.seed == "vmlab-init");
  CHECK(fs::exists(box.kernel));
  CHECK(box.sha256 == digest);
  CHECK(f.leftovers() == std::vector<std::string>{"boxes/tiny"});

  const std::string junk = f.publish("junk.bin", "this is not a box at all");
  CHECK_THROWS_WITH_AS(
      boxes::add_box_from_url("junk", srv.url("junk.bin"), junk),
      doctest::Contains(("the download of " + srv.url("junk.bin") + " is not a box").c_str()),
      UsageError);
  CHECK(f.leftovers() == std::vector<std::string>{"boxes/tiny"});
}

TEST_CASE("a taken or invalid name is refused before anything is downloaded") {
  Fixture f;
  Server srv(f.www);
  REQUIRE_SERVER(srv);
  const std::string digest = f.publish("a.qcow2", qcow2_image(8, 1000));
  boxes::add_box_from_url("a", srv.url("a.qcow2"), digest);
  CHECK_THROWS_WITH_AS(boxes::add_box_from_url("a", srv.url("a.qcow2"), digest),
                       "box \"a\" already exists (remove it first: vmlab box remove a)",
                       UsageError);
  CHECK_THROWS_AS(boxes::add_box_from_url("../x", srv.url("a.qcow2"), digest), UsageError);
  CHECK_THROWS_WITH_AS(boxes::add_box_from_url("b", srv.url("a.qcow2"), "abc"),
                       "invalid sha256 \"abc\": expected 64 hex digits (optionally prefixed "
                       "\"sha256:\")",
                       UsageError);
  CHECK(srv.requests() == "/a.qcow2 -\n");
}
