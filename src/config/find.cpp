// find_vmfile(): the nearest "Vmfile" from a directory upwards, like Vagrant's lookup.
#include <fmt/format.h>

#include "config/load.hpp"
#include "state/filenames.hpp"

namespace vmlab::config {

std::filesystem::path find_vmfile(const std::filesystem::path& start) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec).lexically_normal();
  if (dir.has_filename() == false && dir.has_parent_path() && dir != dir.root_path())
    dir = dir.parent_path();  // "a/b/" -> "a/b"
  for (;;) {
    const fs::path candidate = dir / filenames::kVmfile;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    if (dir == dir.root_path() || !dir.has_parent_path()) break;
    dir = dir.parent_path();
  }
  throw UsageError(fmt::format(
      "no Vmfile in {} or any parent directory (create one, or pass -f FILE)", start.string()));
}

}  // namespace vmlab::config

namespace vmlab::config {

std::filesystem::path locate_vmfile(const std::string& given) {
  if (!given.empty()) return given;
  const auto cwd = std::filesystem::current_path();
  return find_vmfile(cwd).lexically_proximate(cwd);
}

}  // namespace vmlab::config
