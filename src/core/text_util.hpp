#pragma once
// Small shared helpers: a stable (cross-run, cross-platform) string hash for names that must
// not change between vmlab versions, and reading the last lines of a log file.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace vmlab::util {

// XML 1.0 text or attribute value: the five entities escaped, and control characters XML
// cannot carry (all below 0x20 but tab, newline, carriage return) replaced by '?'.
std::string xml_escape(std::string_view s);

// 64-bit FNV-1a. Stable by definition (unlike std::hash): used for lab ids, MACs, digests.
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Seconds since the epoch as ISO 8601 UTC ("2026-12-01T18:00:00Z").
std::string iso8601_utc(long long epoch_seconds);

// The last `lines` lines of a text file, each ending in '\n' ("" if unreadable).
std::string tail_lines(const std::filesystem::path& file, int lines);

}  // namespace vmlab::util
