// install_box(): sniff what a path is, unpack archives beside the store, hand the rest to
// add_box(); add_box_from_url(): download, verify, install.
#include "boxes/install.hpp"

#include <unistd.h>

#include <fstream>

#include "boxes/archive.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "state/filenames.hpp"

namespace vmlab::boxes {
namespace fs = std::filesystem;

namespace {

bool starts_qcow2(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char h[4] = {};
  return f.read(h, 4) && std::string_view(h, 4) == std::string_view("QFI\xfb", 4);
}

// The box directory inside an unpacked archive: the top, or its only folder; "" if none.
fs::path box_dir_in(const fs::path& top) {
  if (fs::exists(top / filenames::kBoxDisk)) return top;
  fs::path only;
  int entries = 0;
  for (const auto& e : fs::directory_iterator(top)) {
    ++entries;
    if (e.is_directory()) only = e.path();
  }
  if (entries == 1 && !only.empty() && fs::exists(only / filenames::kBoxDisk)) return only;
  return {};
}

// A directory removed at scope exit.
struct TempTree {
  fs::path path;
  ~TempTree() {
    std::error_code ec;
    if (!path.empty()) fs::remove_all(path, ec);
  }
};

}  // namespace

Box install_box(const std::string& name, const fs::path& path, const BoxOrigin& given) {
  if (!valid_box_name(name))
    throw UsageError(fmt::format("invalid box name \"{}\": {}", name, kBoxNameRule));
  if (find_box(name) || fs::exists(filenames::box_dir(name)))
    throw UsageError(fmt::format("box \"{}\" already exists (remove it first: vmlab box remove {})",
                                 name, name));
  if (fs::is_directory(path) || !fs::exists(path) || starts_qcow2(path) ||
      !looks_like_archive(path))
    return add_box(name, path, given);
  BoxOrigin origin = given;
  if (origin.source.empty()) origin.source = fs::absolute(path).lexically_normal().string();
  if (origin.sha256.empty()) origin.sha256 = util::sha256_file_hex(path).value_or("");
  const fs::path store = filenames::data_dir() / filenames::kBoxesDir;
  fs::create_directories(store);
  TempTree tmp{store / fmt::format(".tmp-unpack-{}-{}", name, getpid())};
  fs::remove_all(tmp.path);
  fs::create_directories(tmp.path);
  log::info("boxes", "unpacking {} for box \"{}\"", path.string(), name);
  extract_archive(path, tmp.path);
  const fs::path dir = box_dir_in(tmp.path);
  if (dir.empty()) {  // not a vmlab box directory: maybe a form add_box knows (Vagrant .box)
    log::debug("boxes", "{}: no {} inside; handing the file to add_box", path.string(),
               filenames::kBoxDisk);
    fs::remove_all(tmp.path);
    return add_box(name, path, origin);
  }
  return add_box(name, dir, origin);
}

Box add_box_from_url(const std::string& name, const std::string& url, const std::string& sha256,
                     const FetchOptions& opts) {
  if (!valid_box_name(name))
    throw UsageError(fmt::format("invalid box name \"{}\": {}", name, kBoxNameRule));
  if (find_box(name) || fs::exists(filenames::box_dir(name)))
    throw UsageError(fmt::format("box \"{}\" already exists (remove it first: vmlab box remove {})",
                                 name, name));
  const std::string digest = normalize_sha256(sha256);
  if (digest.empty())
    throw UsageError(fmt::format("invalid sha256 \"{}\": {}", sha256, kSha256Rule));
  const fs::path file = fetch_verified(url, digest, opts);
  std::error_code ec;
  try {
    Box box = install_box(name, file, BoxOrigin{url, digest});
    fs::remove(file, ec);  // installed: the store has it now
    return box;
  } catch (const UsageError& e) {
    fs::remove(file, ec);  // it verified, but it is no box: keeping it would not help
    throw UsageError(fmt::format(
        "the download of {} is not a box (a qcow2 image, a tar of a box directory with {} or a "
        "Vagrant box): {}",
        url, filenames::kBoxDisk, e.what()));
  }
}

}  // namespace vmlab::boxes
