// .vmlab/ on a full file system (a 256 KiB tmpfs mounted for the test): a state write fails
// with an error naming the file and the reason, and state.json keeps its last good content,
// never truncated; no temporary file is left behind. Needs root (mount); skipped otherwise.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <fstream>

#include "core/error.hpp"
#include "core/host_probe.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"
#include "testutil.hpp"

using namespace vmlab;

TEST_CASE(".vmlab on a full file system: a clear error, state.json never truncated") {
  if (::geteuid() != 0) VMLAB_SKIP("mounting a small tmpfs needs root");
  test::TempDir dir;
  const auto vm = filenames::state_dir(dir.path());
  std::filesystem::create_directories(vm);
  if (::mount("tmpfs", vm.c_str(), "tmpfs", 0, "size=256k,mode=0755") != 0)
    VMLAB_SKIP("cannot mount a tmpfs on " << vm << ": " << std::strerror(errno));
  struct Unmount {
    std::string p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{vm.string()};

  state::Store store(dir.path());
  store.load();
  store.update([](state::LabRecord& r) {
    r.lab_id = "full-abc123";
    r.machines["n1"].created = true;
  });
  const std::string good = host::read_text(filenames::state_file(dir.path())).value();
  REQUIRE(good.find("full-abc123") != std::string::npos);

  // Fill the file system to the last block.
  {
    std::ofstream fill(vm / "filler", std::ios::binary);
    std::string mb(64 * 1024, 'x');
    while (fill.write(mb.data(), static_cast<std::streamsize>(mb.size())) && fill.flush()) {
    }
  }
  // A record larger than what is left: the write fails.
  bool threw = false;
  try {
    store.update([](state::LabRecord& r) {
      for (int i = 0; i < 1000; ++i)
        r.machines["n1"].steps["step-" + std::to_string(i)] = {
            "2026-12-01T00:00:00Z", std::string(64, 'd'), {}};
    });
  } catch (const Error& e) {
    threw = true;
    const std::string msg = e.what();
    CHECK(msg.find("state.json") != std::string::npos);
    CHECK(msg.find("No space left on device") != std::string::npos);
  }
  CHECK(threw);
  CHECK(host::read_text(filenames::state_file(dir.path())).value() == good);
  for (const auto& e : std::filesystem::directory_iterator(vm))
    CHECK_MESSAGE(e.path().filename().string().rfind(".state.json", 0) != 0,
                  "temporary file left: " << e.path());
  // The record in memory is as it was too: the next write (space again) has no step-*.
  std::filesystem::remove(vm / "filler");
  store.update([](state::LabRecord& r) { r.machines["n2"].created = true; });
  const std::string now = host::read_text(filenames::state_file(dir.path())).value();
  CHECK(now.find("n2") != std::string::npos);
  CHECK(now.find("step-0") == std::string::npos);
}
