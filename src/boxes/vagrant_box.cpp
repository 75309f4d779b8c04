// Vagrant boxes: unpacked with libarchive (tar, gzip and friends), metadata.json checked with
// nlohmann-json, turned into a vmlab box directory.
#include "boxes/vagrant_box.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "state/filenames.hpp"

namespace vmlab::boxes::vagrant {
namespace fs = std::filesystem;

const char* const kInsecurePrivateKey =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEogIBAAKCAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzI\n"
    "w+niNltGEFHzD8+v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoP\n"
    "kcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8HfdOV0IAdx4O7PtixWKn5y2\n"
    "hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NO\n"
    "Td0jMZEnDkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcW\n"
    "yLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9WhQIBIwKCAQEA4iqWPJXtzZA68mKd\n"
    "ELs4jJsdyky+ewdZeNds5tjcnHU5zUYE25K+ffJED9qUWICcLZDc81TGWjHyAqD1\n"
    "Bw7XpgUwFgeUJwUlzQurAv+/ySnxiwuaGJfhFM1CaQHzfXphgVml+fZUvnJUTvzf\n"
    "TK2Lg6EdbUE9TarUlBf/xPfuEhMSlIE5keb/Zz3/LUlRg8yDqz5w+QWVJ4utnKnK\n"
    "iqwZN0mwpwU7YSyJhlT4YV1F3n4YjLswM5wJs2oqm0jssQu/BT0tyEXNDYBLEF4A\n"
    "sClaWuSJ2kjq7KhrrYXzagqhnSei9ODYFShJu8UWVec3Ihb5ZXlzO6vdNQ1J9Xsf\n"
    "4m+2ywKBgQD6qFxx/Rv9CNN96l/4rb14HKirC2o/orApiHmHDsURs5rUKDx0f9iP\n"
    "cXN7S1uePXuJRK/5hsubaOCx3Owd2u9gD6Oq0CsMkE4CUSiJcYrMANtx54cGH7Rk\n"
    "EjFZxK8xAv1ldELEyxrFqkbE4BKd8QOt414qjvTGyAK+OLD3M2QdCQKBgQDtx8pN\n"
    "CAxR7yhHbIWT1AH66+XWN8bXq7l3RO/ukeaci98JfkbkxURZhtxV/HHuvUhnPLdX\n"
    "3TwygPBYZFNo4pzVEhzWoTtnEtrFueKxyc3+LjZpuo+mBlQ6ORtfgkr9gBVphXZG\n"
    "YEzkCD3lVdl8L4cw9BVpKrJCs1c5taGjDgdInQKBgHm/fVvv96bJxc9x1tffXAcj\n"
    "3OVdUN0UgXNCSaf/3A/phbeBQe9xS+3mpc4r6qvx+iy69mNBeNZ0xOitIjpjBo2+\n"
    "dBEjSBwLk5q5tJqHmy/jKMJL4n9ROlx93XS+njxgibTvU6Fp9w+NOFD/HvxB3Tcz\n"
    "6+jJF85D5BNAG3DBMKBjAoGBAOAxZvgsKN+JuENXsST7F89Tck2iTcQIT8g5rwWC\n"
    "P9Vt74yboe2kDT531w8+egz7nAmRBKNM751U/95P9t88EDacDI/Z2OwnuFQHCPDF\n"
    "llYOUI+SpLJ6/vURRbHSnnn8a/XG+nzedGH5JGqEJNQsz+xT2axM0/W/CRknmGaJ\n"
    "kda/AoGANWrLCz708y7VYgAtW2Uf1DPOIYMdvo6fxIB5i9ZfISgcJ/bbCUkFrhoH\n"
    "+vq/5CIWxCPp0f85R4qxxQ5ihxJ0YDQT9Jpx4TMss4PSavPaBH3RXow5Ohe+bYoQ\n"
    "NE5OgEXk2wVfZczCZpigBKbKZHNYcelXtTt/nP3rsCuGcM4h53s=\n"
    "-----END RSA PRIVATE KEY-----\n";

const char* const kInsecurePublicKey =
    "ssh-rsa "
    "AAAAB3NzaC1yc2EAAAABIwAAAQEA6NF8iallvQVp22WDkTkyrtvp9eWW6A8YVr+kz4TjGYe7gHzIw+niNltGEFHzD8+"
    "v1I2YJ6oXevct1YeS0o9HZyN1Q9qgCgzUFtdOKLv6IedplqoPkcmF0aYet2PkEDo3MlTBckFXPITAMzF8dJSIFo9D8Hf"
    "dOV0IAdx4O7PtixWKn5y2hMNG0zQPyUecp4pzC6kivAIhyfHilFR61RGL+GPXQ2MWZWFYbAGjyiYJnAmCP3NOTd0jMZEn"
    "DkbUvxhMmBYSdETk1rRgm+R4LOzFUGaHqHDLKLX+FIPKcF96hrucXzcWyLbIbEgE98OHlnVYCzRdK8jlqm8tehUc9c9W"
    "hQ== vagrant insecure public key";

namespace {

constexpr std::size_t kMaxSmallFile = 1 << 20;  // metadata.json, Vagrantfile

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

// "./box.img" -> "box.img"; "" for anything in a subdirectory (not part of the box format).
std::string top_level_name(const char* path) {
  std::string n = path ? path : "";
  while (n.rfind("./", 0) == 0) n.erase(0, 2);
  if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..") return "";
  return n;
}

std::string image_name(const nlohmann::json& meta) {
  if (meta.contains("disks") && meta["disks"].is_array() && meta["disks"].size() == 1 &&
      meta["disks"][0].is_object())
    return meta["disks"][0].value("path", std::string("box.img"));
  return "box.img";
}

}  // namespace

bool looks_like_box(const fs::path& file) {
  std::ifstream f(file, std::ios::binary);
  std::string h(512, '\0');
  f.read(h.data(), static_cast<std::streamsize>(h.size()));
  h.resize(static_cast<std::size_t>(f.gcount()));
  auto starts = [&](std::string_view m) { return h.compare(0, m.size(), m) == 0; };
  return starts("\x1f\x8b") || starts("BZh") ||
         starts(
             "\xfd"
             "7zXZ") ||
         starts("\x28\xb5\x2f\xfd") || (h.size() >= 262 && h.compare(257, 5, "ustar") == 0);
}

std::string metadata_problem(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return fmt::format("metadata.json is not JSON ({})", e.what());
  }
  if (!j.is_object()) return "metadata.json is not a JSON object";
  auto str = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  if (str("provider") != "libvirt")
    return fmt::format(
        "it is a Vagrant box for provider \"{}\"; vmlab imports libvirt boxes (metadata.json: "
        "\"provider\": \"libvirt\", \"format\": \"qcow2\")",
        str("provider"));
  if (j.contains("format") && str("format") != "qcow2")
    return fmt::format("its disk format is \"{}\"; vmlab imports qcow2 libvirt boxes",
                       str("format"));
  if (j.contains("disks") && (!j["disks"].is_array() || j["disks"].size() != 1))
    return "it has several disks (metadata.json \"disks\"); vmlab imports boxes with one disk";
  return "";
}

void unpack(const fs::path& file, const fs::path& dir) {
  std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
  if (!a) throw Error("libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  archive_read_support_format_gnutar(a.get());
  if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
    throw UsageError(
        fmt::format("{} is not a box: {}", file.string(), archive_error_string(a.get())));
  std::string meta_text, vagrantfile;
  bool have_meta = false;
  std::set<std::string> images;  // *.img written to dir
  archive_entry* e = nullptr;
  int rc = ARCHIVE_OK;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    const std::string name = top_level_name(archive_entry_pathname(e));
    if (archive_entry_filetype(e) != AE_IFREG || name.empty()) continue;
    const bool image = name.size() > 4 && name.compare(name.size() - 4, 4, ".img") == 0;
    if (image) {
      log::debug("boxes", "unpacking {} from {}", name, file.string());
      const fs::path out = dir / ("vagrant-" + name);
      int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd < 0) throw Error(fmt::format("cannot write {}", out.string()));
      int w = archive_read_data_into_fd(a.get(), fd);
      ::close(fd);
      if (w != ARCHIVE_OK)
        throw Error(fmt::format("cannot unpack {} from {}: {}", name, file.string(),
                                archive_error_string(a.get())));
      images.insert(name);
    } else if (name == "metadata.json" || name == "Vagrantfile") {
      if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxSmallFile))
        throw UsageError(
            fmt::format("{} is not a box: its {} is larger than 1 MiB", file.string(), name));
      std::string text(static_cast<std::size_t>(archive_entry_size(e)), '\0');
      la_ssize_t n = archive_read_data(a.get(), text.data(), text.size());
      if (n < 0 || static_cast<std::size_t>(n) != text.size())
        throw Error(fmt::format("cannot read {} from {}", name, file.string()));
      (name == "Vagrantfile" ? vagrantfile : meta_text) = text;
      have_meta = have_meta || name == "metadata.json";
    }
  }
  if (rc != ARCHIVE_EOF)
    throw UsageError(fmt::format("{} is not a box (or it is truncated): {}", file.string(),
                                 archive_error_string(a.get())));
  if (!have_meta)
    throw UsageError(
        fmt::format("{} is not a box: it has no metadata.json (a Vagrant box is a "
                    "tar of metadata.json, box.img and an optional Vagrantfile)",
                    file.string()));
  if (auto p = metadata_problem(meta_text); !p.empty())
    throw UsageError(fmt::format("{} cannot be added: {}", file.string(), p));
  const std::string img = image_name(nlohmann::json::parse(meta_text));
  if (!images.count(img))
    throw UsageError(fmt::format("{} is not a box: it has no {}", file.string(), img));
  for (const auto& other : images)
    if (other != img) fs::remove(dir / ("vagrant-" + other));
  fs::rename(dir / ("vagrant-" + img), dir / filenames::kBoxDisk);
  auto write = [&](const std::string& n, const std::string& text) {
    std::ofstream o(dir / n, std::ios::binary | std::ios::trunc);
    o << text;
    if (!o.flush()) throw Error(fmt::format("cannot write {}", (dir / n).string()));
  };
  write("vagrant-metadata.json", meta_text);
  if (!vagrantfile.empty()) write("Vagrantfile", vagrantfile);
  write(filenames::kBoxMeta, nlohmann::json{{"format", "qcow2"},
                                            {"user", "vagrant"},
                                            {"seed", "vagrant"},
                                            {"source", "vagrant:" + file.filename().string()}}
                                     .dump() +
                                 "\n");
}

}  // namespace vmlab::boxes::vagrant
