// libarchive behind extract_archive(): one reader, one disk writer (secure flags), RAII.
#include "boxes/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fstream>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::boxes {
namespace fs = std::filesystem;

bool looks_like_archive(const fs::path& file) {
  std::ifstream f(file, std::ios::binary);
  std::string h(512, '\0');
  f.read(h.data(), static_cast<std::streamsize>(h.size()));
  h.resize(static_cast<size_t>(f.gcount()));
  auto starts = [&](std::string_view m) {
    return h.size() >= m.size() && h.compare(0, m.size(), m) == 0;
  };
  return starts("\x1f\x8b") ||
         starts(
             "\xfd"
             "7zXZ") ||
         starts("BZh") || starts("\x28\xb5\x2f\xfd") ||
         (h.size() >= 262 && h.compare(257, 5, "ustar") == 0);
}

namespace {

using Reader = std::unique_ptr<archive, decltype(&archive_read_free)>;
using Writer = std::unique_ptr<archive, decltype(&archive_write_free)>;

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
  throw UsageError(fmt::format("cannot unpack {}: {}", file.string(), what));
}

std::string err(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown error";
}

}  // namespace

void extract_archive(const fs::path& file, const fs::path& dest) {
  Reader in(archive_read_new(), &archive_read_free);
  Writer out(archive_write_disk_new(), &archive_write_free);
  if (!in || !out) throw Error("libarchive: out of memory");
  archive_read_support_filter_all(in.get());
  archive_read_support_format_tar(in.get());
  // Names are checked below and rewritten to absolute paths under `dest`, so the writer's own
  // absolute-path check would refuse every entry; ".." and paths through links stay refused.
  archive_write_disk_set_options(out.get(),
                                 ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS);
  if (archive_read_open_filename(in.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
    fail(file, err(in.get()));
  archive_entry* e = nullptr;
  int files = 0;
  for (;;) {
    const int r = archive_read_next_header(in.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) fail(file, err(in.get()));
    const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    const auto type = archive_entry_filetype(e);
    if (type != AE_IFREG && type != AE_IFDIR) {
      log::debug("boxes", "{}: skipping {} (not a file or directory)", file.string(), name);
      continue;
    }
    const fs::path rel = fs::path(name).lexically_normal();
    if (rel.is_absolute() || rel.empty() || *rel.begin() == "..")
      fail(file, fmt::format("unsafe entry \"{}\"", name));
    const std::string target = (dest / rel).string();
    archive_entry_set_pathname(e, target.c_str());
    archive_entry_set_hardlink(e, nullptr);
    if (archive_write_header(out.get(), e) != ARCHIVE_OK) fail(file, err(out.get()));
    if (type == AE_IFREG) {
      ++files;
      const void* buf = nullptr;
      size_t len = 0;
      la_int64_t off = 0;
      for (;;) {
        const int d = archive_read_data_block(in.get(), &buf, &len, &off);
        if (d == ARCHIVE_EOF) break;
        if (d != ARCHIVE_OK && d != ARCHIVE_WARN) fail(file, err(in.get()));
        if (archive_write_data_block(out.get(), buf, len, off) != ARCHIVE_OK)
          fail(file, err(out.get()));
      }
    }
    if (archive_write_finish_entry(out.get()) != ARCHIVE_OK) fail(file, err(out.get()));
  }
  if (files == 0) fail(file, "the archive holds no file");
  log::debug("boxes", "{}: {} files unpacked into {}", file.string(), files, dest.string());
}

}  // namespace vmlab::boxes
