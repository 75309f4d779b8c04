#pragma once
// The one seam over the libvirt C API. Every libvirt handle is owned by a unique_ptr with its
// free function; every call is logged at debug ("libvirt" category) and returns a Result whose
// error text is "<call> <object>: <libvirt message>". Nothing here throws: the provider turns
// failures into ProviderError. Only providers/libvirt/*.cpp include this header.
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace vmlab::providers::libvirt::virt {

template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p) FreeFn(p);
  }
};
using Connection = std::unique_ptr<virConnect, Deleter<virConnectClose>>;
using Domain = std::unique_ptr<virDomain, Deleter<virDomainFree>>;
using Network = std::unique_ptr<virNetwork, Deleter<virNetworkFree>>;
using Pool = std::unique_ptr<virStoragePool, Deleter<virStoragePoolFree>>;
using Volume = std::unique_ptr<virStorageVol, Deleter<virStorageVolFree>>;
using Stream = std::unique_ptr<virStream, Deleter<virStreamFree>>;

// libvirt's error code (virErrorNumber) of this thread's last failed call through the seam.
int last_error_code();

// The libvirt library in use, "X.Y.Z" (virGetVersion: no connection, no daemon), and the
// version these headers are from (LIBVIR_VERSION_NUMBER).
std::string library_version();
std::string header_version();

// Opens a connection (read-write). Silences libvirt's default stderr error printing first.
Result<Connection> open(const std::string& uri);

// A connection does not survive a libvirtd restart: every call on it fails from then on.
// is_open: not yet seen closed (no call; a failed call marks it). answers: is_open and the
// daemon answers one cheap call.
bool is_open(virConnectPtr c);
bool is_open(virDomainPtr d);  // the connection `d` was found on
bool answers(virConnectPtr c);

// Domains. find_* returns a null handle (not a failure) when the object does not exist.
Result<std::vector<Domain>> list_domains(virConnectPtr c);
Result<Domain> find_domain(virConnectPtr c, const std::string& name);
Result<Domain> define_domain(virConnectPtr c, const std::string& xml);
std::string domain_name(virDomainPtr d);
Result<int> domain_state(virDomainPtr d);  // virDomainState
Status start_domain(virDomainPtr d);
Status shutdown_domain(virDomainPtr d);
Status destroy_domain(virDomainPtr d);
Status undefine_domain(virDomainPtr d);  // also managed save, snapshot/checkpoint metadata, nvram
Status suspend_domain(virDomainPtr d);
Status resume_domain(virDomainPtr d);
// Internal snapshots (in the qcow2 overlay; with the memory state when the domain runs).
struct SnapshotRec {
  std::string name;
  long long created = 0;  // creationTime, seconds since the epoch (0: not said)
};
Status create_snapshot(virDomainPtr d, const std::string& xml);
Result<std::vector<SnapshotRec>> list_snapshots(virDomainPtr d);  // oldest first
// found=false (not a failure) when the domain has no snapshot `name`.
Result<bool> revert_snapshot(virDomainPtr d, const std::string& name);
Result<bool> delete_snapshot(virDomainPtr d, const std::string& name);
// The metadata element stored under namespace `uri` ("" when the domain has none).
Result<std::string> domain_metadata(virDomainPtr d, const std::string& uri);

// Networks.
Result<std::vector<Network>> list_networks(virConnectPtr c);
Result<Network> find_network(virConnectPtr c, const std::string& name);
Result<Network> define_network(virConnectPtr c, const std::string& xml);
std::string network_name(virNetworkPtr n);
Result<std::string> network_xml(virNetworkPtr n);
Result<bool> network_active(virNetworkPtr n);
Result<bool> network_persistent(virNetworkPtr n);
Status start_network(virNetworkPtr n);
Status stop_network(virNetworkPtr n);
Status undefine_network(virNetworkPtr n);
// Adds a <host mac= ip= name=/> DHCP entry to the live and persistent definition.
Status add_dhcp_host(virNetworkPtr n, const std::string& host_xml);

// Storage pools and volumes.
Result<Pool> find_pool(virConnectPtr c, const std::string& name);
Result<Pool> define_pool(virConnectPtr c, const std::string& xml);
Status build_pool(virStoragePoolPtr p);
Result<bool> pool_active(virStoragePoolPtr p);
Status start_pool(virStoragePoolPtr p);
Status refresh_pool(virStoragePoolPtr p);
Result<std::vector<Volume>> list_volumes(virStoragePoolPtr p);
Result<Volume> find_volume(virStoragePoolPtr p, const std::string& name);
Result<Volume> create_volume(virStoragePoolPtr p, const std::string& xml);
std::string volume_name(virStorageVolPtr v);
Result<std::string> volume_path(virStorageVolPtr v);
Result<unsigned long long> volume_capacity(virStorageVolPtr v);
Status delete_volume(virStorageVolPtr v);
// Streams the whole file into the volume (virStorageVolUpload).
Status upload(virConnectPtr c, virStorageVolPtr v, const std::filesystem::path& file);

}  // namespace vmlab::providers::libvirt::virt
