#pragma once
// Read-only probes of this host, for `vmlab doctor` and the providers' own checks: the IPv4
// route table, a TCP/UDP port on 127.0.0.1, memory, free space, programs on PATH, and whether
// a user can read a path. None of them throws or changes anything on the host.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::host {

struct Route {
  std::string iface;
  std::uint32_t dest = 0;  // host byte order
  int prefix = 0;
};

// Parses the text of /proc/net/route (also /proc/PID/net/route: that process's network
// namespace). Lines it cannot read are skipped.
std::vector<Route> parse_route_table(const std::string& text);

// The whole file as text; nullopt when it cannot be read.
std::optional<std::string> read_text(const std::filesystem::path& file);

// True when `port` can be bound on 127.0.0.1 now (protocol "tcp" or "udp"); the socket is
// closed again at once. `why` gets strerror when it cannot.
bool port_free(int port, const std::string& protocol, std::string* why = nullptr);
// The same on IPv4 address `ip` ("0.0.0.0": any); with `reuse_addr` (SO_REUSEADDR, as a
// server binds), connections in TIME_WAIT do not count as taken.
bool port_free_on(const std::string& ip, int port, const std::string& protocol, bool reuse_addr,
                  std::string* why = nullptr);

struct Memory {
  std::uint64_t available_mib = 0;  // MemAvailable
  std::uint64_t swap_free_mib = 0;  // SwapFree
};
// Parses /proc/meminfo's text; nullopt without a MemAvailable line.
std::optional<Memory> parse_meminfo(const std::string& text);

// Free bytes for an unprivileged user on the file system of `path` (the nearest existing
// ancestor when `path` does not exist yet); nullopt when statvfs fails.
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& path);

// The program's path when `name` is found on PATH (or is a path that is executable), else "".
std::string find_program(const std::string& name);

struct User {
  std::string name;
  uid_t uid = 0;
  std::vector<gid_t> groups;  // primary first
};
// The first of `names` that exists in the user database, nullopt if none.
std::optional<User> find_user(const std::vector<std::string>& names);

// The user this process runs as (its effective uid and groups).
User current_user();

// Whether `user` may read `path` (and, for a directory, list it): every ancestor must be
// searchable (x) and `path` readable (r), by owner/group/other bits (root may do anything;
// ACLs are not read). With `traverse_only`, a directory `path` needs x alone (enough to open
// files whose names are known, as QEMU does in a pool). "" when it may, else the first
// component that stops it with why ("/home/u: mode 0700, owner u").
std::string unreadable_by(const std::filesystem::path& path, const User& user,
                          bool traverse_only = false);

}  // namespace vmlab::host
