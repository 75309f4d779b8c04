#include "providers/libvirt/virt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include "core/log.hpp"

namespace vmlab::providers::libvirt::virt {
namespace {

thread_local int g_last_code = VIR_ERR_OK;

void silent(void*, virErrorPtr) {}  // errors are read through virGetLastError() instead

// The one error-conversion helper: "<what>: <libvirt's message>", remembering the code.
std::string failure(const std::string& what) {
  virErrorPtr e = virGetLastError();
  g_last_code = e ? e->code : VIR_ERR_INTERNAL_ERROR;
  std::string msg = e && e->message ? e->message : "unknown libvirt error";
  log::debug("libvirt", "{} failed: {} (code {})", what, msg, g_last_code);
  return fmt::format("{}: {}", what, msg);
}

template <typename T>
Result<T> fail(const std::string& what) {
  return Result<T>::failure(failure(what));
}

Status check(int rc, const std::string& what) {
  if (rc < 0) return fail<Unit>(what);
  return ok_status();
}

bool not_found(int code) {
  return code == VIR_ERR_NO_DOMAIN || code == VIR_ERR_NO_NETWORK ||
         code == VIR_ERR_NO_STORAGE_POOL || code == VIR_ERR_NO_STORAGE_VOL;
}

// Lookup helper: a missing object is a null handle, anything else a failure.
template <typename H, typename P>
Result<H> lookup(P* raw, const std::string& what) {
  if (raw) return H(raw);
  virErrorPtr e = virGetLastError();
  if (e && not_found(e->code)) {
    virResetLastError();
    return H(nullptr);
  }
  return fail<H>(what);
}

template <typename H, typename P>
std::vector<H> adopt(P** list, int n) {
  std::vector<H> out;
  for (int i = 0; i < n; ++i) out.emplace_back(list[i]);
  free(list);
  return out;
}

Result<std::string> owned_string(char* s, const std::string& what) {
  if (!s) return fail<std::string>(what);
  std::string out = s;
  free(s);
  return out;
}

}  // namespace

int last_error_code() {
  return g_last_code;
}

namespace {
std::string dotted(unsigned long v) {
  return fmt::format("{}.{}.{}", v / 1000000, v / 1000 % 1000, v % 1000);
}
}  // namespace

std::string library_version() {
  unsigned long v = 0;
  if (virGetVersion(&v, nullptr, nullptr) < 0) return "unknown";
  return dotted(v);
}

std::string header_version() {
  return dotted(LIBVIR_VERSION_NUMBER);
}

Result<Connection> open(const std::string& uri) {
  static std::once_flag once;
  std::call_once(once, [] { virSetErrorFunc(nullptr, silent); });
  log::debug("libvirt", "virConnectOpen {}", uri);
  virConnectPtr c = virConnectOpen(uri.c_str());
  if (!c) return fail<Connection>("virConnectOpen " + uri);
  return Connection(c);
}

bool is_open(virConnectPtr c) {
  return virConnectIsAlive(c) == 1;
}

bool is_open(virDomainPtr d) {
  return is_open(virDomainGetConnect(d));
}

bool answers(virConnectPtr c) {
  unsigned long v = 0;
  return is_open(c) && virConnectGetLibVersion(c, &v) == 0;
}

Result<std::vector<Domain>> list_domains(virConnectPtr c) {
  log::debug("libvirt", "virConnectListAllDomains");
  virDomainPtr* list = nullptr;
  int n = virConnectListAllDomains(c, &list, 0);
  if (n < 0) return fail<std::vector<Domain>>("virConnectListAllDomains");
  return adopt<Domain>(list, n);
}

Result<Domain> find_domain(virConnectPtr c, const std::string& name) {
  log::debug("libvirt", "virDomainLookupByName {}", name);
  return lookup<Domain>(virDomainLookupByName(c, name.c_str()), "virDomainLookupByName " + name);
}

Result<Domain> define_domain(virConnectPtr c, const std::string& xml) {
  log::debug("libvirt", "virDomainDefineXML {}", xml);
  virDomainPtr d = virDomainDefineXML(c, xml.c_str());
  if (!d) return fail<Domain>("virDomainDefineXML");
  return Domain(d);
}

std::string domain_name(virDomainPtr d) {
  const char* n = virDomainGetName(d);
  return n ? n : "";
}

Result<int> domain_state(virDomainPtr d) {
  int state = 0, reason = 0;
  if (virDomainGetState(d, &state, &reason, 0) < 0)
    return fail<int>("virDomainGetState " + domain_name(d));
  return state;
}

Status start_domain(virDomainPtr d) {
  log::debug("libvirt", "virDomainCreate {}", domain_name(d));
  return check(virDomainCreate(d), "virDomainCreate " + domain_name(d));
}

Status shutdown_domain(virDomainPtr d) {
  log::debug("libvirt", "virDomainShutdown {}", domain_name(d));
  return check(virDomainShutdown(d), "virDomainShutdown " + domain_name(d));
}

Status destroy_domain(virDomainPtr d) {
  log::debug("libvirt", "virDomainDestroy {}", domain_name(d));
  return check(virDomainDestroy(d), "virDomainDestroy " + domain_name(d));
}

Status suspend_domain(virDomainPtr d) {
  log::debug("libvirt", "virDomainSuspend {}", domain_name(d));
  return check(virDomainSuspend(d), "virDomainSuspend " + domain_name(d));
}

Status resume_domain(virDomainPtr d) {
  log::debug("libvirt", "virDomainResume {}", domain_name(d));
  return check(virDomainResume(d), "virDomainResume " + domain_name(d));
}

using Snapshot = std::unique_ptr<virDomainSnapshot, Deleter<virDomainSnapshotFree>>;

Status create_snapshot(virDomainPtr d, const std::string& xml) {
  const std::string what = "virDomainSnapshotCreateXML " + domain_name(d);
  log::debug("libvirt", "{} {}", what, xml);
  Snapshot s(virDomainSnapshotCreateXML(d, xml.c_str(), 0));
  if (!s) return fail<Unit>(what);
  return ok_status();
}

Result<std::vector<SnapshotRec>> list_snapshots(virDomainPtr d) {
  const std::string what = "virDomainListAllSnapshots " + domain_name(d);
  virDomainSnapshotPtr* snaps = nullptr;
  int n = virDomainListAllSnapshots(d, &snaps, 0);
  if (n < 0) return fail<std::vector<SnapshotRec>>(what);
  std::vector<SnapshotRec> out;
  for (int i = 0; i < n; ++i) {
    Snapshot s(snaps[i]);
    SnapshotRec r;
    if (const char* name = virDomainSnapshotGetName(s.get())) r.name = name;
    if (char* xml = virDomainSnapshotGetXMLDesc(s.get(), 0)) {
      std::string x(xml);
      std::free(xml);
      auto a = x.find("<creationTime>"), b = x.find("</creationTime>");
      if (a != std::string::npos && b != std::string::npos && b > a + 14)
        r.created = std::atoll(x.substr(a + 14, b - a - 14).c_str());
    }
    out.push_back(std::move(r));
  }
  std::free(snaps);
  std::stable_sort(out.begin(), out.end(), [](const SnapshotRec& x, const SnapshotRec& y) {
    return x.created < y.created;
  });
  return out;
}

namespace {
Result<Snapshot> find_snapshot(virDomainPtr d, const std::string& name) {
  // Named first: every libvirt call (virDomainGetName too) resets the thread's last error.
  const std::string what = "virDomainSnapshotLookupByName " + domain_name(d) + " " + name;
  Snapshot s(virDomainSnapshotLookupByName(d, name.c_str(), 0));
  if (!s) {
    auto err = fail<Snapshot>(what);
    if (g_last_code == VIR_ERR_NO_DOMAIN_SNAPSHOT) return Snapshot{};
    return err;
  }
  return s;
}
}  // namespace

Result<bool> revert_snapshot(virDomainPtr d, const std::string& name) {
  auto s = find_snapshot(d, name);
  if (!s) return Result<bool>::failure(s.error());
  if (!s.value()) return false;
  const std::string what = "virDomainRevertToSnapshot " + domain_name(d) + " " + name;
  log::debug("libvirt", "{}", what);
  if (virDomainRevertToSnapshot(s.value().get(), 0) < 0) return fail<bool>(what);
  return true;
}

Result<bool> delete_snapshot(virDomainPtr d, const std::string& name) {
  auto s = find_snapshot(d, name);
  if (!s) return Result<bool>::failure(s.error());
  if (!s.value()) return false;
  const std::string what = "virDomainSnapshotDelete " + domain_name(d) + " " + name;
  log::debug("libvirt", "{}", what);
  if (virDomainSnapshotDelete(s.value().get(), 0) < 0) return fail<bool>(what);
  return true;
}

Status undefine_domain(virDomainPtr d) {
  // Drivers that know no nvram/checkpoints (test://) reject those flags: retry without them.
  const unsigned basic = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
  const unsigned full =
      basic | VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
  std::string what = "virDomainUndefineFlags " + domain_name(d);
  for (unsigned flags : {full, basic}) {
    log::debug("libvirt", "{} {:#x}", what, flags);
    if (virDomainUndefineFlags(d, flags) == 0) return ok_status();
    auto err = fail<Unit>(what);
    if (g_last_code != VIR_ERR_INVALID_ARG && g_last_code != VIR_ERR_NO_SUPPORT) return err;
  }
  log::debug("libvirt", "virDomainUndefine {}", domain_name(d));
  return check(virDomainUndefine(d), "virDomainUndefine " + domain_name(d));
}

Result<std::string> domain_metadata(virDomainPtr d, const std::string& uri) {
  char* s = virDomainGetMetadata(d, VIR_DOMAIN_METADATA_ELEMENT, uri.c_str(), 0);
  if (!s) {
    virErrorPtr e = virGetLastError();
    if (e && e->code == VIR_ERR_NO_DOMAIN_METADATA) {
      virResetLastError();
      return std::string();
    }
  }
  return owned_string(s, "virDomainGetMetadata " + domain_name(d));
}

Result<std::vector<Network>> list_networks(virConnectPtr c) {
  log::debug("libvirt", "virConnectListAllNetworks");
  virNetworkPtr* list = nullptr;
  int n = virConnectListAllNetworks(c, &list, 0);
  if (n < 0) return fail<std::vector<Network>>("virConnectListAllNetworks");
  return adopt<Network>(list, n);
}

Result<Network> find_network(virConnectPtr c, const std::string& name) {
  log::debug("libvirt", "virNetworkLookupByName {}", name);
  return lookup<Network>(virNetworkLookupByName(c, name.c_str()), "virNetworkLookupByName " + name);
}

Result<Network> define_network(virConnectPtr c, const std::string& xml) {
  log::debug("libvirt", "virNetworkDefineXML {}", xml);
  virNetworkPtr n = virNetworkDefineXML(c, xml.c_str());
  if (!n) return fail<Network>("virNetworkDefineXML");
  return Network(n);
}

std::string network_name(virNetworkPtr n) {
  const char* s = virNetworkGetName(n);
  return s ? s : "";
}

Result<std::string> network_xml(virNetworkPtr n) {
  return owned_string(virNetworkGetXMLDesc(n, 0), "virNetworkGetXMLDesc " + network_name(n));
}

Result<bool> network_active(virNetworkPtr n) {
  int rc = virNetworkIsActive(n);
  if (rc < 0) return fail<bool>("virNetworkIsActive " + network_name(n));
  return rc == 1;
}

Result<bool> network_persistent(virNetworkPtr n) {
  int rc = virNetworkIsPersistent(n);
  if (rc < 0) return fail<bool>("virNetworkIsPersistent " + network_name(n));
  return rc == 1;
}

Status start_network(virNetworkPtr n) {
  log::debug("libvirt", "virNetworkCreate {}", network_name(n));
  return check(virNetworkCreate(n), "virNetworkCreate " + network_name(n));
}

Status stop_network(virNetworkPtr n) {
  log::debug("libvirt", "virNetworkDestroy {}", network_name(n));
  return check(virNetworkDestroy(n), "virNetworkDestroy " + network_name(n));
}

Status undefine_network(virNetworkPtr n) {
  log::debug("libvirt", "virNetworkUndefine {}", network_name(n));
  return check(virNetworkUndefine(n), "virNetworkUndefine " + network_name(n));
}

Status add_dhcp_host(virNetworkPtr n, const std::string& host_xml) {
  unsigned flags = VIR_NETWORK_UPDATE_AFFECT_CONFIG;
  auto active = network_active(n);
  if (active.ok() && active.value()) flags |= VIR_NETWORK_UPDATE_AFFECT_LIVE;
  log::debug("libvirt", "virNetworkUpdate {} add-last ip-dhcp-host {}", network_name(n), host_xml);
  return check(virNetworkUpdate(n, VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                                VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host_xml.c_str(), flags),
               "virNetworkUpdate " + network_name(n));
}

Result<Pool> find_pool(virConnectPtr c, const std::string& name) {
  log::debug("libvirt", "virStoragePoolLookupByName {}", name);
  return lookup<Pool>(virStoragePoolLookupByName(c, name.c_str()),
                      "virStoragePoolLookupByName " + name);
}

Result<Pool> define_pool(virConnectPtr c, const std::string& xml) {
  log::debug("libvirt", "virStoragePoolDefineXML {}", xml);
  virStoragePoolPtr p = virStoragePoolDefineXML(c, xml.c_str(), 0);
  if (!p) return fail<Pool>("virStoragePoolDefineXML");
  return Pool(p);
}

Status build_pool(virStoragePoolPtr p) {
  log::debug("libvirt", "virStoragePoolBuild");
  return check(virStoragePoolBuild(p, 0), "virStoragePoolBuild");
}

Result<bool> pool_active(virStoragePoolPtr p) {
  int rc = virStoragePoolIsActive(p);
  if (rc < 0) return fail<bool>("virStoragePoolIsActive");
  return rc == 1;
}

Status start_pool(virStoragePoolPtr p) {
  log::debug("libvirt", "virStoragePoolCreate");
  return check(virStoragePoolCreate(p, 0), "virStoragePoolCreate");
}

Status refresh_pool(virStoragePoolPtr p) {
  log::debug("libvirt", "virStoragePoolRefresh");
  return check(virStoragePoolRefresh(p, 0), "virStoragePoolRefresh");
}

Result<std::vector<Volume>> list_volumes(virStoragePoolPtr p) {
  log::debug("libvirt", "virStoragePoolListAllVolumes");
  virStorageVolPtr* list = nullptr;
  int n = virStoragePoolListAllVolumes(p, &list, 0);
  if (n < 0) return fail<std::vector<Volume>>("virStoragePoolListAllVolumes");
  return adopt<Volume>(list, n);
}

Result<Volume> find_volume(virStoragePoolPtr p, const std::string& name) {
  log::debug("libvirt", "virStorageVolLookupByName {}", name);
  return lookup<Volume>(virStorageVolLookupByName(p, name.c_str()),
                        "virStorageVolLookupByName " + name);
}

Result<Volume> create_volume(virStoragePoolPtr p, const std::string& xml) {
  log::debug("libvirt", "virStorageVolCreateXML {}", xml);
  virStorageVolPtr v = virStorageVolCreateXML(p, xml.c_str(), 0);
  if (!v) return fail<Volume>("virStorageVolCreateXML");
  return Volume(v);
}

std::string volume_name(virStorageVolPtr v) {
  const char* s = virStorageVolGetName(v);
  return s ? s : "";
}

Result<std::string> volume_path(virStorageVolPtr v) {
  return owned_string(virStorageVolGetPath(v), "virStorageVolGetPath " + volume_name(v));
}

Result<unsigned long long> volume_capacity(virStorageVolPtr v) {
  virStorageVolInfo info{};
  if (virStorageVolGetInfo(v, &info) < 0)
    return fail<unsigned long long>("virStorageVolGetInfo " + volume_name(v));
  return info.capacity;
}

Status delete_volume(virStorageVolPtr v) {
  log::debug("libvirt", "virStorageVolDelete {}", volume_name(v));
  return check(virStorageVolDelete(v, 0), "virStorageVolDelete " + volume_name(v));
}

Status upload(virConnectPtr c, virStorageVolPtr v, const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) return Status::failure(fmt::format("cannot read {}: {}", file.string(), ec.message()));
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return Status::failure(fmt::format("cannot read {}: {}", file.string(), strerror(errno)));
  Stream st(virStreamNew(c, 0));
  if (!st) return fail<Unit>("virStreamNew");
  std::string what = "virStorageVolUpload " + volume_name(v);
  log::debug("libvirt", "{} from {} ({} bytes)", what, file.string(), size);
  if (virStorageVolUpload(v, st.get(), 0, size, 0) < 0) return fail<Unit>(what);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    std::streamsize got = in.gcount();
    for (std::streamsize off = 0; off < got;) {
      int sent = virStreamSend(st.get(), buf.data() + off, static_cast<size_t>(got - off));
      if (sent < 0) {
        auto err = fail<Unit>(what);
        virStreamAbort(st.get());
        return err;
      }
      off += sent;
    }
  }
  if (virStreamFinish(st.get()) < 0) return fail<Unit>(what);
  return ok_status();
}

}  // namespace vmlab::providers::libvirt::virt
