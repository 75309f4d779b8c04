#pragma once
// IPv4 and CIDR helpers for lab networks. Addresses are host-byte-order uint32.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vmlab::config {

// Strict dotted quad: four decimal octets 0..255, no leading zeros ("010" is ambiguous).
std::optional<std::uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(std::uint32_t ip);

struct Cidr {
  std::uint32_t base = 0;  // network address
  int prefix = 0;
  std::uint32_t mask() const { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }
  std::uint32_t broadcast() const { return base | ~mask(); }
  std::uint32_t gateway() const { return base + 1; }  // host side of a lab network
  bool contains(std::uint32_t ip) const { return (ip & mask()) == base; }
  bool overlaps(const Cidr& o) const {
    const Cidr wider{0, prefix < o.prefix ? prefix : o.prefix};
    return (base & wider.mask()) == (o.base & wider.mask());
  }
  std::string str() const;  // "192.168.56.0/24"
};

struct CidrResult {
  Cidr cidr;
  std::string error;  // message after "key.path: "; empty when valid
  bool ok() const { return error.empty(); }
};

// "A.B.C.D/N" with 8 <= N <= 30 (a lab network needs a gateway and at least one node) and no
// host bits set.
CidrResult parse_cidr(std::string_view text);

}  // namespace vmlab::config
