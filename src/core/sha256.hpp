#pragma once
// SHA-256 (FIPS 180-4), dependency-free: one implementation for every part that needs it
// (host key fingerprints, file provisioner probes, box downloads).
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace vmlab::util {

using Sha256Digest = std::array<std::uint8_t, 32>;

// Incremental SHA-256.
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

}  // namespace vmlab::util
