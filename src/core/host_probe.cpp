#include "core/host_probe.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <bit>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/settings.hpp"

namespace vmlab::host {
namespace fs = std::filesystem;

std::vector<Route> parse_route_table(const std::string& text) {
  std::vector<Route> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header: Iface Destination Gateway Flags RefCnt Use Metric Mask ...
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string iface, dest, gw, flags, refcnt, use, metric, mask;
    if (!(w >> iface >> dest >> gw >> flags >> refcnt >> use >> metric >> mask)) continue;
    char* end = nullptr;
    // The kernel prints the addresses in network byte order as a host-order hex number.
    auto d = static_cast<std::uint32_t>(std::strtoul(dest.c_str(), &end, 16));
    if (*end) continue;
    auto m = static_cast<std::uint32_t>(std::strtoul(mask.c_str(), &end, 16));
    if (*end) continue;
    out.push_back({iface, ntohl(d), std::popcount(m)});
  }
  return out;
}

std::optional<std::string> read_text(const fs::path& file) {
  std::ifstream f(file);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool port_free(int port, const std::string& protocol, std::string* why) {
  return port_free_on("127.0.0.1", port, protocol, false, why);
}

bool port_free_on(const std::string& ip, int port, const std::string& protocol, bool reuse_addr,
                  std::string* why) {
  int fd = ::socket(AF_INET, (protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (why) *why = std::strerror(errno);
    return false;
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    if (why) *why = "not an IPv4 address: " + ip;
    ::close(fd);
    return false;
  }
  // Without reuse_addr, no SO_REUSEADDR: a listener (or a TIME_WAIT the hypervisor would also
  // trip on) says taken.
  int one = 1;
  if (reuse_addr) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (!ok && why) *why = std::strerror(errno);
  ::close(fd);
  return ok;
}

std::optional<Memory> parse_meminfo(const std::string& text) {
  std::istringstream in(text);
  std::string key;
  std::uint64_t kib = 0;
  std::optional<std::uint64_t> avail, swap;
  std::string unit;
  for (std::string line; std::getline(in, line);) {
    std::istringstream w(line);
    if (!(w >> key >> kib)) continue;
    if (key == "MemAvailable:") avail = kib / 1024;
    if (key == "SwapFree:") swap = kib / 1024;
  }
  if (!avail) return std::nullopt;
  return Memory{*avail, swap.value_or(0)};
}

std::optional<std::uint64_t> free_bytes(const fs::path& path) {
  fs::path p = path;
  std::error_code ec;
  while (!p.empty() && !fs::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  struct statvfs s {};
  if (p.empty() || ::statvfs(p.c_str(), &s) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(s.f_bavail) * s.f_frsize;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  std::istringstream dirs(settings::text("PATH"));
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path p = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

std::optional<User> find_user(const std::vector<std::string>& names) {
  for (const auto& n : names) {
    struct passwd* pw = ::getpwnam(n.c_str());
    if (!pw) continue;
    User u{n, pw->pw_uid, {pw->pw_gid}};
    int count = 64;
    std::vector<gid_t> groups(static_cast<size_t>(count));
    if (::getgrouplist(n.c_str(), pw->pw_gid, groups.data(), &count) < 0) {
      groups.resize(static_cast<size_t>(count));
      if (::getgrouplist(n.c_str(), pw->pw_gid, groups.data(), &count) < 0) count = 0;
    }
    for (int i = 0; i < count; ++i)
      if (groups[static_cast<size_t>(i)] != pw->pw_gid)
        u.groups.push_back(groups[static_cast<size_t>(i)]);
    return u;
  }
  return std::nullopt;
}

User current_user() {
  User u{std::to_string(::geteuid()), ::geteuid(), {::getegid()}};
  if (struct passwd* pw = ::getpwuid(u.uid)) u.name = pw->pw_name;
  int n = ::getgroups(0, nullptr);
  std::vector<gid_t> groups(static_cast<size_t>(n > 0 ? n : 0));
  n = ::getgroups(n, groups.data());
  for (int i = 0; i < n; ++i) u.groups.push_back(groups[static_cast<size_t>(i)]);
  return u;
}

namespace {

// The permission bits that apply to `user` for a file with `st`: 4 = r, 2 = w, 1 = x.
unsigned bits_for(const struct stat& st, const User& user) {
  if (st.st_uid == user.uid) return (st.st_mode >> 6) & 7;
  for (gid_t g : user.groups)
    if (g == st.st_gid) return (st.st_mode >> 3) & 7;
  return st.st_mode & 7;
}

std::string owner_name(uid_t uid) {
  struct passwd* pw = ::getpwuid(uid);
  return pw ? pw->pw_name : std::to_string(uid);
}

}  // namespace

std::string unreadable_by(const fs::path& path, const User& user, bool traverse_only) {
  if (user.uid == 0) return "";
  fs::path abs = fs::absolute(path).lexically_normal();
  fs::path cur;
  for (auto it = abs.begin(); it != abs.end(); ++it) {
    cur /= *it;
    struct stat st {};
    if (::stat(cur.c_str(), &st) != 0)
      return fmt::format("{}: {}", cur.string(), std::strerror(errno));
    const bool last = std::next(it) == abs.end();
    unsigned need = 1u;  // x: search an ancestor directory
    if (last) need = S_ISDIR(st.st_mode) ? (traverse_only ? 1u : 5u) : 4u;
    if ((bits_for(st, user) & need) != need)
      return fmt::format("{}: mode {:04o}, owner {}", cur.string(), st.st_mode & 07777,
                         owner_name(st.st_uid));
  }
  return "";
}

}  // namespace vmlab::host
