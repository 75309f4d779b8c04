// The host probes behind `vmlab doctor` (src/core/host_probe): route table and meminfo
// parsing, binding a port on 127.0.0.1, and who may read a path.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/host_probe.hpp"
#include "testutil.hpp"

using namespace vmlab;

TEST_CASE("the route table in /proc/net/route form: interface, destination and prefix") {
  const std::string text =
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
      "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
      "eth0\t0000A8C0\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0\n"
      "virbr1\t0038A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
      "garbage line\n";
  auto routes = host::parse_route_table(text);
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].prefix == 0);
  CHECK(routes[1].iface == "eth0");
  CHECK(routes[1].dest == 0xC0A80000u);  // 192.168.0.0
  CHECK(routes[1].prefix == 16);
  CHECK(routes[2].iface == "virbr1");
  CHECK(routes[2].dest == 0xC0A83800u);  // 192.168.56.0
  CHECK(routes[2].prefix == 24);
}

TEST_CASE("meminfo: MemAvailable and SwapFree in MiB; none without MemAvailable") {
  auto m = host::parse_meminfo(
      "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    2097152 kB\n"
      "SwapFree:        1048576 kB\n");
  REQUIRE(m);
  CHECK(m->available_mib == 2048);
  CHECK(m->swap_free_mib == 1024);
  CHECK_FALSE(host::parse_meminfo("MemTotal: 1 kB\n"));
}

TEST_CASE("a port someone listens on is taken, and free again once closed") {
  test::Listener l;
  const int port = l.port;
  std::string why;
  CHECK_FALSE(host::port_free(port, "tcp", &why));
  CHECK(why == "Address already in use");
  l.close();
  CHECK(host::port_free(port, "tcp"));
}

TEST_CASE("unreadable_by names the first directory that stops a user") {
  test::TempDir dir;
  auto file = dir.write("a/b/box.qcow2", "x");
  ::chmod((dir / "a").c_str(), 0755);
  ::chmod((dir / "a/b").c_str(), 0700);
  ::chmod(dir.path().c_str(), 0755);
  host::User other{"other", 65534, {65534}};
  const std::string why = host::unreadable_by(file, other);
  CHECK(why.find((dir / "a/b").string() + ": mode 0700, owner ") == 0);
  ::chmod((dir / "a/b").c_str(), 0711);
  ::chmod(file.c_str(), 0644);
  CHECK(host::unreadable_by(file, other) == "");
  // A 0711 directory: others may open what they can name in it, not list it.
  CHECK(host::unreadable_by(dir / "a/b", other).find("mode 0711") != std::string::npos);
  CHECK(host::unreadable_by(dir / "a/b", other, /*traverse_only=*/true) == "");
  CHECK(host::unreadable_by(file, host::User{"root", 0, {0}}) == "");
  CHECK(host::unreadable_by(dir / "missing", other).find("No such file or directory") !=
        std::string::npos);
}

TEST_CASE("find_program looks on PATH") {
  CHECK_FALSE(host::find_program("sh").empty());
  CHECK(host::find_program("vmlab-no-such-program").empty());
  CHECK(host::find_program("/nonexistent/tool").empty());
}
