// write_iso(): the seed files as an ISO9660 image (Rock Ridge + Joliet) labelled "cidata",
// built in memory with libisofs and written atomically (temp file + rename).
#include <stdint.h>
#include <sys/types.h>
// libisofs.h needs the fixed-width types declared first.
#define LIBISOFS_WITHOUT_LIBBURN 1  // we read the image through libisofs own burn_source
#include <fmt/format.h>
#include <libisofs/libisofs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>

#include "core/error.hpp"
#include "core/log.hpp"
#include "seed/seed.hpp"

namespace vmlab::seed {
namespace {

struct ImageDeleter {
  void operator()(IsoImage* i) const { iso_image_unref(i); }
};
struct OptsDeleter {
  void operator()(IsoWriteOpts* o) const { iso_write_opts_free(o); }
};
struct SourceDeleter {
  void operator()(burn_source* b) const {
    b->free_data(b);
    free(b);
  }
};

void check(int rc, const char* what) {
  if (rc < 0) throw Error("cannot build the seed ISO: {} failed (libisofs error {:#x})", what, rc);
}

void init_once() {
  static std::once_flag once;
  static int rc = 0;
  std::call_once(once, [] { rc = iso_init(); });
  check(rc, "iso_init");
}

// Returns the directory for `path`'s parent, creating intermediate directories.
IsoDir* parent_dir(IsoImage* image, std::map<std::string, IsoDir*>& dirs, const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return iso_image_get_root(image);
  std::string parent = path.substr(0, slash);
  if (auto it = dirs.find(parent); it != dirs.end()) return it->second;
  IsoDir* up = parent_dir(image, dirs, parent);
  std::string leaf =
      parent.substr(parent.rfind('/') == std::string::npos ? 0 : parent.rfind('/') + 1);
  IsoDir* dir = nullptr;
  check(iso_image_add_new_dir(image, up, leaf.c_str(), &dir), "iso_image_add_new_dir");
  iso_node_set_permissions(reinterpret_cast<IsoNode*>(dir), 0755);
  dirs[parent] = dir;
  return dir;
}

}  // namespace

void write_iso(const std::filesystem::path& out,
               const std::vector<std::pair<std::string, std::string>>& files) {
  init_once();
  log::debug("seed", "writing seed ISO {} ({} files)", out.string(), files.size());
  IsoImage* raw_image = nullptr;
  check(iso_image_new("cidata", &raw_image), "iso_image_new");
  std::unique_ptr<IsoImage, ImageDeleter> image(raw_image);
  iso_image_set_volume_id(image.get(), "cidata");

  std::map<std::string, IsoDir*> dirs;
  for (const auto& [name, content] : files) {
    IsoDir* dir = parent_dir(image.get(), dirs, name);
    std::string leaf = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
    auto* buf = static_cast<unsigned char*>(malloc(content.size() + 1));  // owned by the stream
    if (!buf) throw Error("cannot build the seed ISO: out of memory");
    memcpy(buf, content.data(), content.size());
    IsoStream* stream = nullptr;
    int rc = iso_memory_stream_new(buf, content.size(), &stream);
    if (rc < 0) free(buf);
    check(rc, "iso_memory_stream_new");
    IsoFile* file = nullptr;
    rc = iso_image_add_new_file(image.get(), dir, leaf.c_str(), stream, &file);
    if (rc < 0) iso_stream_unref(stream);  // on success the file node owns the stream
    check(rc, "iso_image_add_new_file");
    iso_node_set_permissions(
        reinterpret_cast<IsoNode*>(file),
        leaf.find("_key") != std::string::npos && leaf.find(".pub") == std::string::npos ? 0600
                                                                                         : 0644);
  }

  IsoWriteOpts* raw_opts = nullptr;
  check(iso_write_opts_new(&raw_opts, 0), "iso_write_opts_new");
  std::unique_ptr<IsoWriteOpts, OptsDeleter> opts(raw_opts);
  check(iso_write_opts_set_rockridge(opts.get(), 1), "set_rockridge");
  check(iso_write_opts_set_joliet(opts.get(), 1), "set_joliet");
  // Keep the label lower case in the primary descriptor too (as genisoimage -V cidata does).
  check(iso_write_opts_set_relaxed_vol_atts(opts.get(), 1), "set_relaxed_vol_atts");

  burn_source* raw_src = nullptr;
  check(iso_image_create_burn_source(image.get(), opts.get(), &raw_src), "create_burn_source");
  std::unique_ptr<burn_source, SourceDeleter> src(raw_src);

  std::filesystem::path tmp = out;
  tmp += ".tmp-" + std::to_string(getpid());
  {
    // The seed holds the machine's host private key: owner-only from the first byte.
    {
      std::ofstream touch(tmp, std::ios::binary | std::ios::trunc);
    }
    std::filesystem::permissions(tmp, std::filesystem::perms::owner_read |
                                          std::filesystem::perms::owner_write);
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("cannot write {}: {}", tmp.string(), strerror(errno));
    unsigned char block[2048];
    for (;;) {
      int n = src->read_xt(src.get(), block, sizeof block);
      if (n < 0) {
        std::filesystem::remove(tmp);
        throw Error("cannot build the seed ISO: libisofs write failed");
      }
      if (n == 0) break;
      f.write(reinterpret_cast<char*>(block), n);
    }
    if (!f.flush()) {
      std::filesystem::remove(tmp);
      throw Error("cannot write {}: {}", tmp.string(), strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw Error("cannot write {}: {}", out.string(), ec.message());
  }
}

std::string iso_library() {
  int major = 0, minor = 0, micro = 0;
  iso_lib_version(&major, &minor, &micro);
  return fmt::format("libisofs {}.{}.{}", major, minor, micro);
}

}  // namespace vmlab::seed
