#pragma once
// Small, dependency-free digests and encodings used by the SSH layer: SHA-256 (host key
// fingerprints, file provisioner probes) and base64 (OpenSSH key blobs, fingerprints).
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::communicator {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t len);
  Sha256Digest finish();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buf_{};
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

Sha256Digest sha256(std::string_view data);
std::string to_hex(const Sha256Digest& d);
// Lower-case hex SHA-256 of a file's content; nullopt when it cannot be read.
std::optional<std::string> sha256_file_hex(const std::filesystem::path& p);

// Standard base64 (RFC 4648) with '=' padding unless `pad` is false.
std::string base64_encode(std::string_view bytes, bool pad = true);
// Decodes standard base64 (padding optional); nullopt on any invalid character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace vmlab::communicator
