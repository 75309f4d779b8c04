#pragma once
// Downloading a box by URL (libcurl, kept inside fetch.cpp): into the download cache beside
// the store, resumable, verified against the SHA-256 the user gave before anything uses it.
//   <data>/downloads/sha256-<hex>.part   while it arrives; a later fetch of the same digest
//                                        continues it with a Range request
//   <data>/downloads/sha256-<hex>        verified (renamed from .part once the digest matched)
// Never writes into the box store itself (boxes/install.hpp installs the verified file).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace vmlab::boxes {

// A digest as `--sha256` and the Vmfile accept it: 64 hex digits (any case), optionally
// prefixed "sha256:". Returns it lower-case without the prefix; "" when it is not one.
std::string normalize_sha256(std::string_view text);
extern const char* const kSha256Rule;  // the rule as users read it
// True for the URL schemes vmlab downloads: http://, https://, file://.
bool is_box_url(std::string_view text);

struct FetchProgress {
  std::uint64_t done = 0;          // bytes of the file present (a resumed part counts)
  std::uint64_t total = 0;         // 0 while unknown
  std::uint64_t resumed_from = 0;  // bytes that were already there when this transfer began
};

struct FetchOptions {
  // Called as data arrives (at most a few times a second) and once at the end. Returning
  // false aborts the transfer (the part is kept, as after a dropped connection).
  std::function<bool(const FetchProgress&)> progress;
  long connect_timeout_s = 30;
  long stall_timeout_s = 60;  // no byte for this long: the transfer fails (the part is kept)
};

// Returns the verified file for `sha256` (normalised), downloading `url` first unless the
// cache already has it. Throws vmlab::Error with a message naming the URL on: an HTTP error
// status ("HTTP 404 Not Found"), a connection closed before the announced length (the part is
// kept for the next try), any other transfer failure, and a digest mismatch (the download is
// deleted: it would never verify). Serialised per digest across processes (a flock on
// sha256-<hex>.lock). Thread-safe.
std::filesystem::path fetch_verified(const std::string& url, const std::string& sha256,
                                     const FetchOptions& opts = {});

// Where fetch_verified keeps the download of `sha256` (and its part: + ".part").
std::filesystem::path download_path(const std::string& sha256);

}  // namespace vmlab::boxes
