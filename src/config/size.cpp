// Size parsing: exact decimal arithmetic, so "1.5GiB" is 1536 MiB and "1.3GiB" is rejected.
#include "config/size.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <limits>

namespace vmlab::config {
namespace {

constexpr std::uint64_t kMaxMib = std::uint64_t{1} << 40;  // 1 EiB: far beyond any VM

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// MiB per unit, 0 when unknown.
std::uint64_t unit_mib(std::string_view unit) {
  const std::string u = lower(unit);
  if (u.empty() || u == "m" || u == "mb" || u == "mib") return 1;
  if (u == "g" || u == "gb" || u == "gib") return 1024;
  if (u == "t" || u == "tb" || u == "tib") return 1024 * 1024;
  return 0;
}

SizeResult syntax_error(std::string_view text) {
  return {0, fmt::format("invalid size \"{}\": use a number with MiB, GiB or TiB (e.g. \"512MiB\", "
                         "\"2GiB\"); a bare integer means MiB",
                         text)};
}

}  // namespace

SizeResult parse_size(std::string_view text) {
  std::size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) ++i;
  std::uint64_t mantissa = 0;
  std::uint64_t scale = 1;  // 10^(digits after the point)
  int int_digits = 0, frac_digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    if (mantissa > std::numeric_limits<std::uint64_t>::max() / 100) return syntax_error(text);
    mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
    if (point) {
      scale *= 10;
      ++frac_digits;
    } else {
      ++int_digits;
    }
  }
  const std::uint64_t per_unit = unit_mib(text.substr(i));
  if (int_digits == 0 || (point && frac_digits == 0) || per_unit == 0) return syntax_error(text);
  if (negative || mantissa == 0)
    return {0, fmt::format("invalid size \"{}\": must be greater than zero", text)};
  if (mantissa > kMaxMib * scale / per_unit)
    return {0, fmt::format("invalid size \"{}\": too large", text)};
  const std::uint64_t scaled = mantissa * per_unit;
  if (scaled % scale != 0)
    return {0, fmt::format("invalid size \"{}\": not a whole number of MiB", text)};
  return {scaled / scale, ""};
}

std::string format_size(std::uint64_t mib) {
  if (mib >= 1024 * 1024 && mib % (1024 * 1024) == 0) return fmt::format("{}TiB", mib >> 20);
  if (mib >= 1024 && mib % 1024 == 0) return fmt::format("{}GiB", mib >> 10);
  if (mib >= 1024 && (mib * 10) % 1024 == 0)
    return fmt::format("{}.{}GiB", mib / 1024, (mib % 1024) * 10 / 1024);
  return fmt::format("{}MiB", mib);
}

}  // namespace vmlab::config
