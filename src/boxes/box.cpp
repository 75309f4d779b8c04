// The box store: <data>/boxes/<name>/{box.qcow2, box.json, kernel, initrd}.
#include "boxes/box.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "boxes/vagrant_box.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha256.hpp"
#include "state/filenames.hpp"

namespace vmlab::boxes {
namespace fs = std::filesystem;

const char* const kBoxNameRule = "use letters, digits, '.', '_' and '-' (not first), at most 64";

bool valid_box_name(std::string_view n) {
  if (n.empty() || n.size() > 64 || n[0] == '.' || n[0] == '-') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

namespace {

void require_valid_name(const std::string& n) {
  if (!valid_box_name(n))
    throw UsageError(fmt::format("invalid box name \"{}\": {}", n, kBoxNameRule));
}

// Virtual size of a qcow2 image from its header (0 if not qcow2 or unreadable).
std::uint64_t qcow2_virtual_size_mib(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  unsigned char h[32] = {};
  if (!f.read(reinterpret_cast<char*>(h), sizeof h)) return 0;
  if (h[0] != 'Q' || h[1] != 'F' || h[2] != 'I' || h[3] != 0xfb) return 0;
  std::uint64_t size = 0;
  for (int i = 24; i < 32; ++i) size = (size << 8) | h[i];
  return size / (1024 * 1024);
}

bool is_qcow2(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char h[4] = {};
  return f.read(h, 4) && h[0] == 'Q' && h[1] == 'F' && h[2] == 'I' &&
         static_cast<unsigned char>(h[3]) == 0xfb;
}

nlohmann::json read_meta(const fs::path& file) {
  std::ifstream f(file);
  if (!f) throw UsageError(fmt::format("cannot read box metadata {}", file.string()));
  try {
    auto j = nlohmann::json::parse(f);
    if (!j.is_object())
      throw UsageError(fmt::format("invalid box metadata {}: not a JSON object", file.string()));
    for (const char* key : {"format", "user", "kernel", "initrd", "cmdline", "seed"})
      if (j.contains(key) && !j[key].is_string())
        throw UsageError(
            fmt::format("invalid box metadata {}: \"{}\" must be a string", file.string(), key));
    return j;
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(fmt::format("invalid box metadata {}: {}", file.string(), e.what()));
  }
}

Box load(const std::string& name, const fs::path& dir) {
  Box b;
  b.name = name;
  b.dir = dir;
  b.disk = dir / filenames::kBoxDisk;
  if (fs::exists(dir / filenames::kBoxMeta)) {
    auto j = read_meta(dir / filenames::kBoxMeta);
    b.format = j.value("format", b.format);
    b.user = j.value("user", b.user);
    b.cmdline = j.value("cmdline", b.cmdline);
    b.seed = j.value("seed", b.seed);
    if (auto k = j.value("kernel", std::string()); !k.empty()) b.kernel = dir / k;
    if (auto i = j.value("initrd", std::string()); !i.empty()) b.initrd = dir / i;
  }
  b.virtual_size_mib = qcow2_virtual_size_mib(b.disk);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) b.size_bytes += e.file_size(ec);
  if (std::ifstream f(dir / filenames::kBoxSource); f) {
    auto j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_object()) {
      if (j.contains("source") && j["source"].is_string()) b.source = j["source"];
      if (j.contains("sha256") && j["sha256"].is_string()) b.sha256 = j["sha256"];
    }
  }
  return b;
}

// What source.json records for a box added from `path` (see BoxOrigin).
nlohmann::json origin_json(const fs::path& path, const BoxOrigin& origin) {
  std::string source = origin.source, digest = origin.sha256;
  if (source.empty()) source = fs::absolute(path).lexically_normal().string();
  if (digest.empty())
    digest = util::sha256_file_hex(fs::is_directory(path) ? path / filenames::kBoxDisk : path)
                 .value_or("");
  return {{"source", source}, {"sha256", digest}};
}

fs::path store() {
  return filenames::data_dir() / filenames::kBoxesDir;
}

}  // namespace

std::optional<Box> find_box(const std::string& name) {
  if (!valid_box_name(name)) return std::nullopt;
  fs::path dir = filenames::box_dir(name);
  if (!fs::exists(dir / filenames::kBoxDisk)) return std::nullopt;
  return load(name, dir);
}

std::vector<Box> list_boxes() {
  std::vector<Box> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store(), ec)) {
    std::string name = e.path().filename().string();
    if (!e.is_directory() || !valid_box_name(name)) continue;  // skips .tmp-* and .trash-*
    if (auto b = find_box(name)) out.push_back(std::move(*b));
  }
  std::sort(out.begin(), out.end(), [](const Box& a, const Box& b) { return a.name < b.name; });
  return out;
}

Box add_box(const std::string& name, const fs::path& path, const BoxOrigin& origin) {
  require_valid_name(name);
  if (fs::exists(filenames::box_dir(name)))
    throw UsageError(fmt::format("box \"{}\" already exists (remove it first: vmlab box remove {})",
                                 name, name));
  if (!fs::exists(path))
    throw UsageError(fmt::format("{}: no such file or directory", path.string()));
  std::vector<std::pair<fs::path, std::string>> copies;  // source, name in the box
  bool vagrant_box = false;
  if (fs::is_directory(path)) {
    if (!fs::exists(path / filenames::kBoxDisk))
      throw UsageError(
          fmt::format("{} is not a box: it has no {}", path.string(), filenames::kBoxDisk));
    copies.push_back({path / filenames::kBoxDisk, filenames::kBoxDisk});
    if (fs::exists(path / filenames::kBoxMeta)) {
      auto j = read_meta(path / filenames::kBoxMeta);
      copies.push_back({path / filenames::kBoxMeta, filenames::kBoxMeta});
      for (const char* key : {"kernel", "initrd"}) {
        std::string rel = j.value(key, std::string());
        if (rel.empty()) continue;
        if (rel.find('/') != std::string::npos || rel == "." || rel == "..")
          throw UsageError(
              fmt::format("invalid box metadata {}: \"{}\" must be a file name in the box",
                          (path / filenames::kBoxMeta).string(), key));
        if (!fs::exists(path / rel))
          throw UsageError(fmt::format("{} is not a box: {} names {} \"{}\", which is missing",
                                       path.string(), filenames::kBoxMeta, key, rel));
        copies.push_back({path / rel, rel});
      }
    }
  } else if (!is_qcow2(path) && vagrant::looks_like_box(path)) {
    vagrant_box = true;  // unpacked below, into the temp dir
  } else {
    if (!is_qcow2(path))
      throw UsageError(fmt::format(
          "{} is not a box: expected a directory with {}, a qcow2 image or a Vagrant .box",
          path.string(), filenames::kBoxDisk));
    copies.push_back({path, filenames::kBoxDisk});
  }

  fs::create_directories(store());
  fs::path tmp = store() / fmt::format(".tmp-{}-{}", name, getpid());
  fs::remove_all(tmp);
  try {
    fs::create_directories(tmp);
    for (const auto& [src, dst] : copies) {
      log::debug("boxes", "copying {} to {}", src.string(), (tmp / dst).string());
      fs::copy_file(src, tmp / dst, fs::copy_options::overwrite_existing);
    }
    if (vagrant_box) {
      vagrant::unpack(path, tmp);
      if (!is_qcow2(tmp / filenames::kBoxDisk))
        throw UsageError(
            fmt::format("{} cannot be added: its disk image is not qcow2", path.string()));
    }
    std::ofstream(tmp / filenames::kBoxSource) << origin_json(path, origin).dump() << "\n";
    fs::rename(tmp, filenames::box_dir(name));
  } catch (const Error&) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw Error(fmt::format("cannot add box \"{}\": {}", name, e.what()));
  }
  return load(name, filenames::box_dir(name));
}

void remove_box(const std::string& name) {
  if (!find_box(name)) throw UsageError(fmt::format("box \"{}\" is not installed", name));
  fs::path trash = store() / fmt::format(".trash-{}-{}", name, getpid());
  fs::rename(filenames::box_dir(name), trash);
  std::error_code ec;
  fs::remove_all(trash, ec);
}

bool needs_first_login(const Box& box) {
  return box.seed == kSeedVagrant;
}

bool reads_seed(const Box& box) {
  return !needs_first_login(box);
}

std::optional<GuestInit> guest_init(const Box& box) {
  if (box.seed != "cloud-init") return std::nullopt;
  // cloud-init's first stage (users, keys, hostname, files, network) runs before sshd
  // (cloud-init.service is Before=sshd.service). vmlab's seed asks nothing of the later stages
  // but set_passwords (seed.cpp: no apt, locale, grub-dpkg, packages or runcmd), so nothing they
  // do races a step's apt-get, and the steps start without waiting for them. What is waited
  // for: no job of cloud-init-local or cloud-init queued, read from systemd (a guest whose sshd
  // came up early); without systemd, cloud-init's own wait (`cloud-init status --wait`).
  return GuestInit{"cloud-init",
                   "command -v cloud-init >/dev/null 2>&1 || exit 0; "
                   "if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then "
                   "while systemctl list-jobs --no-legend 2>/dev/null | grep -qE "
                   "'(^| )cloud-init(-local)?\\.service '; do sleep 0.5; done; "
                   "else cloud-init status --wait >/dev/null 2>&1; fi; true"};
}

}  // namespace vmlab::boxes
