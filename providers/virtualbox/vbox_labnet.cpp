#include "providers/virtualbox/vbox_labnet.hpp"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/log.hpp"
#include "core/settings.hpp"
#include "providers/virtualbox/vbox_flock.hpp"
#include "providers/virtualbox/vbox_paths.hpp"
#include "providers/virtualbox/vbox_ranges.hpp"

namespace vmlab::vbox {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kind_name(argv::NicKind k) {
  switch (k) {
    case argv::NicKind::HostOnly:
      return "hostonlyif";
    case argv::NicKind::HostOnlyNet:
      return "hostonlynet";
    case argv::NicKind::IntNet:
      return "intnet";
    case argv::NicKind::Nat:
      return "nat";
  }
  return "nat";
}

argv::NicKind kind_of(const std::string& s) {
  if (s == "hostonlynet") return argv::NicKind::HostOnlyNet;
  if (s == "intnet") return argv::NicKind::IntNet;
  return argv::NicKind::HostOnly;
}

LabRecord read_record(const fs::path& p) {
  LabRecord rec;
  std::ifstream f(p);
  if (!f) return rec;
  json j = json::parse(f, nullptr, false);
  if (j.is_discarded()) return rec;
  if (!j.is_object()) return rec;
  const json nets = j.value("networks", json::object());
  const json boxes = j.value("boxes", json::array());
  for (const auto& [net, v] : nets.items())
    rec.networks[net] = {kind_of(v.value("kind", "")), v.value("attach", ""),
                         v.value("created", false)};
  for (const auto& b : boxes) rec.boxes.insert(b.get<std::string>());
  return rec;
}

// Atomic: temp + rename.
void write_record(const std::string& lab_id, const LabRecord& rec) {
  json j = {{"networks", json::object()}, {"boxes", rec.boxes}};
  for (const auto& [net, n] : rec.networks)
    j["networks"][net] = {
        {"kind", kind_name(n.kind)}, {"attach", n.attach}, {"created", n.created}};
  fs::path p = paths::lab_record(lab_id);
  fs::create_directories(p.parent_path());
  fs::path tmp = p;
  tmp += ".tmp";
  std::ofstream(tmp) << j.dump(1) << "\n";
  fs::rename(tmp, p);
}

bool used_elsewhere(const std::string& lab_id, const LabNetwork& n) {
  for (const auto& [other, rec] : other_lab_records(lab_id))
    for (const auto& [net, o] : rec.networks)
      if (o.kind == n.kind && o.attach == n.attach) return true;
  return false;
}

Result<LabNetwork> make_hostonlyif(const VBoxManage& vbm, const config::Network& net,
                                   const LabNetwork* known) {
  auto list = vbm.out(argv::list("hostonlyifs"));
  if (!list) return Result<LabNetwork>::failure(list.error());
  const std::string mask = netmask_of(net.prefix);
  for (const auto& i : parse_hostonlyifs(list.value())) {
    if (known && i.name == known->attach) return *known;
    if (i.ip == net.gateway && i.netmask == mask)
      return LabNetwork{argv::NicKind::HostOnly, i.name, false};
  }
  auto made = vbm.out(argv::hostonlyif_create());
  if (!made) return Result<LabNetwork>::failure(made.error());
  auto name = parse_created_interface(made.value());
  if (!name)
    return Result<LabNetwork>::failure(
        "cannot read the interface name from `VBoxManage "
        "hostonlyif create`: " +
        made.value());
  if (auto r = vbm.run(argv::hostonlyif_ipconfig(*name, net.gateway, mask)); !r) {
    (void)vbm.run(argv::hostonlyif_remove(*name));
    return Result<LabNetwork>::failure(r.error());
  }
  log::info("vbox", "lab network '{}' ({}) is host-only interface {}", net.name, net.cidr, *name);
  return LabNetwork{argv::NicKind::HostOnly, *name, true};
}

Result<LabNetwork> make_hostonlynet(const VBoxManage& vbm, const config::Network& net,
                                    const std::string& name) {
  auto list = vbm.out(argv::list("hostonlynets"));
  if (!list) return Result<LabNetwork>::failure(list.error());
  for (auto& b : parse_blocks(list.value()))
    if (b["Name"] == name) return LabNetwork{argv::NicKind::HostOnlyNet, name, true};
  std::uint32_t last = net.base | (net.prefix >= 31 ? 0 : ((1u << (32 - net.prefix)) - 2));
  auto r = vbm.run(
      argv::hostonlynet_add(name, netmask_of(net.prefix), net.gateway, ipv4_to_string(last)));
  if (!r) return Result<LabNetwork>::failure(r.error());
  return LabNetwork{argv::NicKind::HostOnlyNet, name, true};
}

}  // namespace

bool use_hostonlynet(const Version& v) {
  if (auto e = settings::flag("VMLAB_VBOX_HOSTONLYNET")) return *e;
#ifdef __APPLE__
  return v.major >= 7;
#else
  (void)v;
  return false;
#endif
}

LabRecord load_lab_record(const std::string& lab_id) {
  return read_record(paths::lab_record(lab_id));
}

std::map<std::string, LabRecord> other_lab_records(const std::string& lab_id) {
  std::map<std::string, LabRecord> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(paths::labs_dir(), ec)) {
    std::string id = e.path().filename().string();
    if (id != lab_id && fs::exists(e.path() / "lab.json"))
      out[id] = read_record(e.path() / "lab.json");
  }
  return out;
}

Result<LabRecord> prepare_lab_networks(const VBoxManage& vbm, const config::Topology& topo,
                                       const std::string& lab_id, bool hostonlynet) {
  FileLock lock(paths::labs_lock());
  LabRecord rec = load_lab_record(lab_id);
  for (const auto& net : topo.networks) {
    const std::string name = paths::network_name(lab_id, net.name);
    auto known = rec.networks.find(net.name);
    Result<LabNetwork> n = LabNetwork{argv::NicKind::IntNet, name, true};
    if (net.internal) {
      // nothing to create: VirtualBox makes an internal network when a NIC uses it
    } else if (hostonlynet) {
      n = make_hostonlynet(vbm, net, name);
    } else {
      n = make_hostonlyif(vbm, net, known == rec.networks.end() ? nullptr : &known->second);
    }
    if (!n) return Result<LabRecord>::failure(n.error());
    // Shared with another lab's interface: removable by whichever lab goes last.
    if (!n.value().created)
      for (const auto& [other, orec] : other_lab_records(lab_id))
        for (const auto& [oname, o] : orec.networks)
          if (o.kind == n.value().kind && o.attach == n.value().attach && o.created)
            n.value().created = true;
    rec.networks[net.name] = n.value();
    write_record(lab_id, rec);  // after each: a failure later still knows what exists
  }
  write_record(lab_id, rec);
  return rec;
}

Status record_box(const std::string& lab_id, const std::string& box) {
  FileLock lock(paths::labs_lock());
  LabRecord rec = load_lab_record(lab_id);
  if (rec.boxes.insert(box).second) write_record(lab_id, rec);
  return ok_status();
}

Status remove_lab_networks(const VBoxManage& vbm, const std::string& lab_id) {
  FileLock lock(paths::labs_lock());
  LabRecord rec = load_lab_record(lab_id);
  for (auto it = rec.networks.begin(); it != rec.networks.end();) {
    const LabNetwork& n = it->second;
    Result<CallOutput> r = CallOutput{};
    const bool ours = n.created && !used_elsewhere(lab_id, n);
    if (n.kind == argv::NicKind::HostOnly && ours) {
      r = vbm.run(argv::hostonlyif_remove(n.attach));
    } else if (n.kind == argv::NicKind::HostOnlyNet && ours) {
      r = vbm.run(argv::hostonlynet_remove(n.attach));
    }
    if (!r && r.error().find("Could not find") == std::string::npos &&
        r.error().find("not found") == std::string::npos)
      return Status::failure(r.error());
    it = rec.networks.erase(it);
    write_record(lab_id, rec);
  }
  return ok_status();
}

}  // namespace vmlab::vbox
