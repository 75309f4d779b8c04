#pragma once
// Sizes in a Vmfile (memory, disk), always resolved to whole MiB.
//   "512MiB" "512M" "512MB"  -> MiB      "2GiB" "2G" "2GB" "1.5GiB" -> GiB
//   "1TiB" "1T" "1TB"        -> TiB      "2048" or 2048 (bare integer) -> MiB (Vagrant habit)
// Units are binary whatever their spelling (G, GB and GiB all mean 1024 MiB) and are matched
// case-insensitively; no space between number and unit. Rejected: zero, negative, a result
// that is not a whole number of MiB ("1.3GiB"), unknown units ("2KiB", "2 gigs").
#include <cstdint>
#include <string>
#include <string_view>

namespace vmlab::config {

struct SizeResult {
  std::uint64_t mib = 0;  // valid when error is empty
  std::string error;      // the message after "key.path: ", e.g. `invalid size "2 gigs": ...`
  bool ok() const { return error.empty(); }
};

SizeResult parse_size(std::string_view text);

// "3GiB" for 3072, "2.5GiB" for 2560, "512MiB" for 512: the shortest exact spelling.
std::string format_size(std::uint64_t mib);

}  // namespace vmlab::config
