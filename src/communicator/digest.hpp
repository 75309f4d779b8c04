#pragma once
// Small, dependency-free digests and encodings used by the SSH layer: SHA-256 (core/sha256.hpp,
// here under the SSH layer's names) and base64 (OpenSSH key blobs, fingerprints).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/sha256.hpp"

namespace vmlab::communicator {

using util::Sha256;
using util::sha256;
using util::sha256_file_hex;
using util::Sha256Digest;
using util::to_hex;

// Standard base64 (RFC 4648) with '=' padding unless `pad` is false.
std::string base64_encode(std::string_view bytes, bool pad = true);
// Decodes standard base64 (padding optional); nullopt on any invalid character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vmlab::communicator
