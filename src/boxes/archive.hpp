#pragma once
// Unpacking a box that came as an archive (tar, optionally gzip/xz/bzip2/zstd compressed),
// with libarchive kept inside archive.cpp. Only regular files and directories are written,
// only below the destination: absolute names, ".." and links are refused.
#include <filesystem>

namespace vmlab::boxes {

// True when the file starts like a tar or a compressed stream libarchive reads.
bool looks_like_archive(const std::filesystem::path& file);

// Extracts `archive` into the existing, empty directory `dest`. Throws vmlab::UsageError
// naming the archive when it is not one, is damaged or holds an unsafe entry.
void extract_archive(const std::filesystem::path& archive, const std::filesystem::path& dest);

}  // namespace vmlab::boxes
