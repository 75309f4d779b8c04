// IPv4 parsing and formatting.
#include "config/ip.hpp"

#include <fmt/format.h>

#include <charconv>

namespace vmlab::config {

std::optional<std::uint32_t> parse_ipv4(std::string_view text) {
  std::uint32_t ip = 0;
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    std::size_t end = pos;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    const std::size_t len = end - pos;
    if (len == 0 || len > 3 || (len > 1 && text[pos] == '0')) return std::nullopt;
    unsigned v = 0;
    std::from_chars(text.data() + pos, text.data() + end, v);
    if (v > 255) return std::nullopt;
    ip = (ip << 8) | v;
    pos = end;
  }
  if (pos != text.size()) return std::nullopt;
  return ip;
}

std::string format_ipv4(std::uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

std::string Cidr::str() const {
  return fmt::format("{}/{}", format_ipv4(base), prefix);
}

CidrResult parse_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view addr = text.substr(0, slash);
  const auto ip = parse_ipv4(addr);
  int prefix = -1;
  if (slash != std::string_view::npos) {
    const auto rest = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), prefix);
    if (ec != std::errc() || p != rest.data() + rest.size() || rest.empty()) prefix = -1;
  }
  if (!ip || prefix < 0 || prefix > 32)
    return {{},
            fmt::format("invalid CIDR \"{}\": expected an IPv4 network like \"192.168.56.0/24\"",
                        text)};
  if (prefix < 8 || prefix > 30)
    return {{},
            fmt::format("invalid CIDR \"{}\": the prefix length must be between 8 and 30, got {}",
                        text, prefix)};
  Cidr c{*ip, prefix};
  if ((*ip & c.mask()) != *ip) {
    const Cidr fixed{*ip & c.mask(), prefix};
    return {{},
            fmt::format("invalid CIDR \"{}\": host bits are set (did you mean \"{}\"?)", text,
                        fixed.str())};
  }
  return {c, ""};
}

}  // namespace vmlab::config
