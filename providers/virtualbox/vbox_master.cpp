#include "providers/virtualbox/vbox_master.hpp"

#include <filesystem>

#include "core/log.hpp"
#include "providers/virtualbox/vbox_argv.hpp"
#include "providers/virtualbox/vbox_flock.hpp"
#include "providers/virtualbox/vbox_paths.hpp"

namespace vmlab::vbox {
namespace fs = std::filesystem;

namespace {

constexpr const char* kController = "SATA";

std::string controller_of(const std::map<std::string, std::string>& info) {
  auto it = info.find("storagecontrollername0");
  return it == info.end() ? kController : it->second;
}

bool has_base_snapshot(const VBoxManage& vbm, const std::string& name) {
  auto r = vbm.out(argv::snapshot_list(name));
  if (!r) return false;
  for (const auto& [key, value] : parse_machinereadable(r.value()))
    if (key.rfind("SnapshotName", 0) == 0 && value == paths::kBaseSnapshot) return true;
  return false;
}

// qemu-img convert to a temp file, then rename: a crash never leaves a half VDI behind.
Status convert_to_vdi(const boxes::Box& box, const fs::path& vdi) {
  fs::create_directories(vdi.parent_path());
  fs::path tmp = vdi;
  tmp += ".tmp";
  std::vector<std::string> args = {"convert", "-O", "vdi", box.disk.string(), tmp.string()};
  log::debug("vbox", "qemu-img convert -O vdi {} {}", box.disk.string(), tmp.string());
  auto r = run_program("qemu-img", args);
  if (!r) return Status::failure(r.error());
  if (r.value().exit_code != 0)
    return Status::failure(
        fmt::format("qemu-img convert of box '{}' failed: {}", box.name, r.value().err));
  std::error_code ec;
  fs::rename(tmp, vdi, ec);
  if (ec) return Status::failure(fmt::format("cannot rename {}: {}", tmp.string(), ec.message()));
  return ok_status();
}

Status create_from_vdi(const VBoxManage& vbm, const boxes::Box& box, const std::string& name) {
  fs::path vdi = paths::box_vbox_dir(box.dir) / "box.vdi";
  if (!fs::exists(vdi))
    if (auto s = convert_to_vdi(box, vdi); !s) return s;
  for (const auto& a : {argv::createvm(name, "Linux_64"), argv::storagectl_sata(name, kController),
                        argv::attach_disk(name, kController, 0, vdi.string())})
    if (auto r = vbm.run(a); !r) return Status::failure(r.error());
  return ok_status();
}

}  // namespace

Result<Master> ensure_master(const VBoxManage& vbm, const boxes::Box& box) {
  const std::string name = paths::master_name(box.name);
  FileLock lock(paths::box_vbox_dir(box.dir) / "master.lock");
  auto info = vbm.out(argv::showvminfo(name));
  if (!info) {
    log::info("vbox", "importing box '{}' as VirtualBox master {}", box.name, name);
    fs::path ovf = box.dir / "box.ovf";
    Status made = ok_status();
    if (fs::exists(ovf)) {
      auto r = vbm.run(argv::import_ovf(ovf.string(), name));
      if (!r) made = Status::failure(r.error());
    } else {
      made = create_from_vdi(vbm, box, name);
    }
    if (!made) return Result<Master>::failure(made.error());
    info = vbm.out(argv::showvminfo(name));
    if (!info) return Result<Master>::failure(info.error());
  }
  if (!has_base_snapshot(vbm, name))
    if (auto r = vbm.run(argv::snapshot_take(name, paths::kBaseSnapshot)); !r)
      return Result<Master>::failure(r.error());
  return Master{name, controller_of(parse_machinereadable(info.value()))};
}

Status remove_master(const VBoxManage& vbm, const boxes::Box& box) {
  const std::string name = paths::master_name(box.name);
  FileLock lock(paths::box_vbox_dir(box.dir) / "master.lock");
  if (vbm.out(argv::showvminfo(name))) {
    if (auto r = vbm.run(argv::unregister_delete(name)); !r) return Status::failure(r.error());
  }
  std::error_code ec;
  fs::remove(paths::box_vbox_dir(box.dir) / "box.vdi", ec);
  return ok_status();
}

}  // namespace vmlab::vbox
