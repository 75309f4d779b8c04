// The download progress text (boxes/meter.hpp): the bar on a terminal, lines every 10%
// elsewhere, and the digest rule.
#include <doctest/doctest.h>

#include <vector>

#include "boxes/fetch.hpp"
#include "boxes/meter.hpp"

using namespace vmlab::boxes;

TEST_CASE("byte counts and the bar") {
  CHECK(byte_count(12) == "12 B");
  CHECK(byte_count(310 * 1024) == "310 KiB");
  CHECK(byte_count(1536ull * 1024) == "1.5 MiB");
  CHECK(byte_count(3ull * 1024 * 1024 * 1024) == "3.0 GiB");
  const std::uint64_t mib = 1024 * 1024;
  CHECK(meter_bar("deb", 2 * mib, 8 * mib, mib) ==
        "deb [######..................]  25%  2.0 MiB of 8.0 MiB  1.0 MiB/s");
  CHECK(meter_bar("deb", 8 * mib, 8 * mib, -1) ==
        "deb [########################] 100%  8.0 MiB of 8.0 MiB");
  CHECK(meter_bar("deb", 2 * mib, 0, -1) == "deb  2.0 MiB");
  CHECK(meter_line("deb", 2 * mib, 8 * mib) == "downloading deb: 25% (2.0 MiB of 8.0 MiB)");
  CHECK(meter_line("deb", 20 * mib, 0) == "downloading deb: 20.0 MiB");
}

TEST_CASE("plain output: one line per 10% step, a resumed download says where it continues") {
  std::vector<std::string> lines;
  DownloadMeter m(
      "deb", false, [&](const std::string& l) { lines.push_back(l); },
      [](const std::string&) { FAIL("no redraw without a terminal"); });
  const std::uint64_t total = 1000;
  m.update({300, total, 300});
  for (std::uint64_t d = 300; d <= total; d += 25) m.update({d, total, 300});
  m.finish();
  CHECK(lines == std::vector<std::string>{
                     "downloading deb: continuing after 300 B",
                     "downloading deb: 30% (300 B of 1000 B)",
                     "downloading deb: 40% (400 B of 1000 B)",
                     "downloading deb: 50% (500 B of 1000 B)",
                     "downloading deb: 60% (600 B of 1000 B)",
                     "downloading deb: 70% (700 B of 1000 B)",
                     "downloading deb: 80% (800 B of 1000 B)",
                     "downloading deb: 90% (900 B of 1000 B)",
                     "downloading deb: 100% (1000 B of 1000 B)",
                 });
}

TEST_CASE("terminal output: the bar is redrawn in place and ended by finish()") {
  std::vector<std::string> draws;
  DownloadMeter m(
      "deb", true, [](const std::string&) { FAIL("no lines on a terminal"); },
      [&](const std::string& t) { draws.push_back(t); });
  m.update({0, 100, 0});
  m.update({100, 100, 0});
  m.finish();
  m.finish();
  REQUIRE(draws.size() == 3);
  CHECK(draws[0] == "\rdeb [........................]   0%  0 B of 100 B\033[K");
  CHECK(draws[1] == "\rdeb [########################] 100%  100 B of 100 B\033[K");
  CHECK(draws[2] == "\n");
}

TEST_CASE("digests and URLs as the Vmfile and --sha256 take them") {
  const std::string hex(64, 'c');
  CHECK(normalize_sha256(hex) == hex);
  CHECK(normalize_sha256("sha256:" + std::string(64, 'C')) == hex);
  CHECK(normalize_sha256(std::string(63, 'c')).empty());
  CHECK(normalize_sha256(std::string(63, 'c') + "g").empty());
  CHECK(is_box_url("https://cloud.debian.org/x.qcow2"));
  CHECK(is_box_url("http://127.0.0.1:8000/b.tar.gz"));
  CHECK(is_box_url("file:///srv/b.qcow2"));
  CHECK_FALSE(is_box_url("ftp://x/b"));
  CHECK_FALSE(is_box_url("/srv/b.qcow2"));
  CHECK_FALSE(is_box_url("http://"));
}
