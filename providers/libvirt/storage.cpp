#include "providers/libvirt/storage.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

#include "core/log.hpp"
#include "core/settings.hpp"
#include "providers/libvirt/xml.hpp"

namespace vmlab::providers::libvirt::storage {
namespace {

std::mutex g_box_mu;  // one upload of a box at a time in this process

std::string fingerprint(const std::filesystem::path& file) {
  struct stat st {};
  std::string key = file.string();
  if (::stat(file.c_str(), &st) == 0)
    key = fmt::format("{}:{}.{}", st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  std::uint32_t h = 2166136261u;
  for (unsigned char ch : key) {
    h ^= ch;
    h *= 16777619u;
  }
  return fmt::format("{:08x}", h);
}

std::string raw_volume_xml(const std::string& name, unsigned long long bytes) {
  return fmt::format(
      "<volume>\n  <name>{}</name>\n  <capacity unit='bytes'>{}</capacity>\n"
      "  <allocation unit='bytes'>0</allocation>\n"
      "  <target>\n    <format type='raw'/>\n  </target>\n</volume>\n",
      xml::escape(name), bytes);
}

// Uploads `file` into new volume `name` unless it exists already (created by us or by another
// process). Returns its path.
Result<std::string> ensure_file_volume(virConnectPtr c, virStoragePoolPtr p,
                                       const std::string& name, const std::filesystem::path& file,
                                       const std::function<void(const std::string&)>& progress) {
  auto found = virt::find_volume(p, name);
  if (!found.ok()) return Result<std::string>::failure(found.error());
  if (!found.value()) {
    if (progress)
      progress(fmt::format("uploading {} to the libvirt pool", file.filename().string()));
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    if (ec)
      return Result<std::string>::failure(
          fmt::format("cannot read {}: {}", file.string(), ec.message()));
    auto created = virt::create_volume(p, raw_volume_xml(name, size));
    if (!created.ok()) {
      if (virt::last_error_code() != VIR_ERR_STORAGE_VOL_EXIST)
        return Result<std::string>::failure(created.error());
      created = virt::find_volume(p, name);  // another process won the race
      if (!created.ok()) return Result<std::string>::failure(created.error());
    } else {
      auto up = virt::upload(c, created.value().get(), file);
      if (!up.ok()) {
        if (virt::last_error_code() == VIR_ERR_NO_SUPPORT) {
          log::warn("libvirt", "this libvirt driver cannot upload volumes; {} stays empty", name);
        } else {
          if (auto del = virt::delete_volume(created.value().get()); !del.ok())
            log::warn("libvirt", "cannot remove the half-uploaded volume {}: {}", name,
                      del.error());
          return Result<std::string>::failure(up.error());
        }
      }
    }
    found = std::move(created);
  }
  return virt::volume_path(found.value().get());
}

}  // namespace

std::string pool_dir() {
  return settings::text("VMLAB_LIBVIRT_POOL_DIR");
}

Result<virt::Pool> ensure_pool(virConnectPtr c) {
  auto pool = virt::find_pool(c, kPoolName);
  if (!pool.ok()) return pool;
  if (!pool.value()) {
    std::string xml = fmt::format(
        "<pool type='dir'>\n  <name>{}</name>\n  <target>\n    <path>{}</path>\n  </target>\n"
        "</pool>\n",
        kPoolName, xml::escape(pool_dir()));
    pool = virt::define_pool(c, xml);
    if (!pool.ok()) {
      if (virt::last_error_code() != VIR_ERR_OPERATION_FAILED &&
          virt::last_error_code() != VIR_ERR_STORAGE_POOL_BUILT)
        return pool;
      pool = virt::find_pool(c, kPoolName);  // defined concurrently
      if (!pool.ok() || !pool.value()) return pool;
    } else if (auto b = virt::build_pool(pool.value().get()); !b.ok()) {
      return Result<virt::Pool>::failure(b.error());
    }
  }
  auto active = virt::pool_active(pool.value().get());
  if (!active.ok()) return Result<virt::Pool>::failure(active.error());
  if (!active.value()) {
    if (auto s = virt::start_pool(pool.value().get()); !s.ok()) {
      auto again = virt::pool_active(pool.value().get());  // started concurrently?
      if (!again.ok() || !again.value()) return Result<virt::Pool>::failure(s.error());
    }
  }
  return pool;
}

std::string box_volume_name(const boxes::Box& box, const std::string& part) {
  const auto& file = part == "kernel" ? box.kernel : part == "initrd" ? box.initrd : box.disk;
  std::string base = fmt::format("box-{}-{}", box.name, fingerprint(file));
  return part.empty() ? base + ".qcow2" : base + "-" + part;
}

Result<BoxVolumes> ensure_box(virConnectPtr c, virStoragePoolPtr p, const boxes::Box& box,
                              const std::function<void(const std::string&)>& progress) {
  std::lock_guard lock(g_box_mu);
  BoxVolumes out;
  auto disk = ensure_file_volume(c, p, box_volume_name(box, ""), box.disk, progress);
  if (!disk.ok()) return Result<BoxVolumes>::failure(disk.error());
  out.disk_path = disk.value();
  if (!box.kernel.empty()) {
    auto k = ensure_file_volume(c, p, box_volume_name(box, "kernel"), box.kernel, progress);
    if (!k.ok()) return Result<BoxVolumes>::failure(k.error());
    out.kernel_path = k.value();
  }
  if (!box.initrd.empty()) {
    auto i = ensure_file_volume(c, p, box_volume_name(box, "initrd"), box.initrd, progress);
    if (!i.ok()) return Result<BoxVolumes>::failure(i.error());
    out.initrd_path = i.value();
  }
  return out;
}

Result<virt::Volume> create_overlay(virStoragePoolPtr p, const std::string& name,
                                    const std::string& backing, unsigned long long capacity) {
  if (auto d = delete_volume(p, name); !d.ok()) return Result<virt::Volume>::failure(d.error());
  return virt::create_volume(
      p, fmt::format("<volume>\n  <name>{}</name>\n  <capacity unit='bytes'>{}</capacity>\n"
                     "  <target>\n    <format type='qcow2'/>\n  </target>\n"
                     "  <backingStore>\n    <path>{}</path>\n    <format type='qcow2'/>\n"
                     "  </backingStore>\n</volume>\n",
                     xml::escape(name), capacity, xml::escape(backing)));
}

Result<virt::Volume> upload_volume(virConnectPtr c, virStoragePoolPtr p, const std::string& name,
                                   const std::filesystem::path& file) {
  if (auto d = delete_volume(p, name); !d.ok()) return Result<virt::Volume>::failure(d.error());
  auto path = ensure_file_volume(c, p, name, file, nullptr);
  if (!path.ok()) return Result<virt::Volume>::failure(path.error());
  return virt::find_volume(p, name);
}

Status delete_volume(virStoragePoolPtr p, const std::string& name) {
  auto v = virt::find_volume(p, name);
  if (!v.ok()) return Status::failure(v.error());
  if (!v.value()) return ok_status();
  return virt::delete_volume(v.value().get());
}

Result<int> delete_box_volumes(virStoragePoolPtr p, const std::string& box_name) {
  auto vols = virt::list_volumes(p);
  if (!vols.ok()) return Result<int>::failure(vols.error());
  std::string prefix = "box-" + box_name + "-";
  int n = 0;
  for (auto& v : vols.value()) {
    std::string name = virt::volume_name(v.get());
    if (name.rfind(prefix, 0) != 0) continue;
    std::string rest = name.substr(prefix.size());  // "<8 hex>.qcow2" | "<8 hex>-kernel" | ...
    if (rest.size() < 9 || rest.find_first_not_of("0123456789abcdef") != 8) continue;
    std::string suffix = rest.substr(8);
    if (suffix != ".qcow2" && suffix != "-kernel" && suffix != "-initrd") continue;
    if (auto d = virt::delete_volume(v.get()); !d.ok()) return Result<int>::failure(d.error());
    ++n;
  }
  return n;
}

Result<int> delete_volumes_with_prefix(virStoragePoolPtr p, const std::string& prefix) {
  auto vols = virt::list_volumes(p);
  if (!vols.ok()) return Result<int>::failure(vols.error());
  int n = 0;
  for (auto& v : vols.value()) {
    if (virt::volume_name(v.get()).rfind(prefix, 0) != 0) continue;
    if (auto d = virt::delete_volume(v.get()); !d.ok()) return Result<int>::failure(d.error());
    ++n;
  }
  return n;
}

}  // namespace vmlab::providers::libvirt::storage
