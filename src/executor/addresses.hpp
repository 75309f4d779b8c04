#pragma once
// The lab address check after boot: every lab NIC of a machine, found by the MAC vmlab gave
// it (seed::nics_for, which both providers attach), must carry the static address the seed
// asked for. A box whose init ignores the seed's network config (cloud-init with
// `network: {config: disabled}`) would otherwise come "up" without its lab address. Parsing
// and matching are pure (unit tested on real `ip` output); up.cpp runs the command.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boxes/box.hpp"
#include "seed/seed.hpp"

namespace vmlab::executor {

// One interface as the guest's `ip` lists it.
struct GuestNic {
  std::string name;               // "ens4" (a "@parent" suffix removed)
  std::string mac;                // lower case; "" for an interface without one
  std::vector<std::string> ipv4;  // "A.B.C.D/NN", in the order listed
};

// Lists the guest's interfaces, no root needed: `ip -j addr show` where iproute2 has JSON
// (Debian >= 10), else `ip -o link show` and `ip -o addr show` (older iproute2, busybox).
extern const char* const kListAddressesCommand;

// Parses that command's output: a JSON array (`ip -j addr`) or one-line records (`ip -o link`
// and `ip -o addr` lines, in any mix, joined by interface index). nullopt when the text holds
// no interface at all (no `ip` on the guest, or output of something else).
std::optional<std::vector<GuestNic>> parse_ip_addresses(std::string_view text);

// A lab NIC whose static address is not on the guest.
struct MissingAddress {
  seed::Nic expected;             // mac, address "A.B.C.D/NN", network
  std::optional<GuestNic> found;  // the guest's interface with that MAC, if it has one
};

// The NICs of `expected` with a static address (DHCP ones are not checked) that the guest's
// interface of the same MAC lacks (address and prefix must both match), in `expected` order.
std::vector<MissingAddress> missing_addresses(const std::vector<seed::Nic>& expected,
                                              const std::vector<GuestNic>& guest);

// What most likely left the addresses out, from what reads the seed in the box (box.json
// "seed"; nullopt box: not known).
std::string missing_address_cause(const std::optional<boxes::Box>& box);

// The node's error: a first line, one line per missing address naming the NIC, its MAC and
// network, the expected address and what the guest has instead, then the likely cause.
std::string describe_missing(const std::vector<MissingAddress>& missing, std::string_view cause,
                             double waited_s);

}  // namespace vmlab::executor
