#include "core/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace vmlab::settings {
namespace {

// Constant-initialised (string_views over literals), so it is usable during the static
// initialisation of other files (log.cpp reads VMLAB_LOG there).
constexpr Setting kTable[] = {
    {"VMLAB_PROVIDER", "", "the Vmfile's `provider`, else libvirt",
     "provider for this run, libvirt or virtualbox (`--provider` beats it, it beats the Vmfile)"},
    {"VMLAB_LIBVIRT_URI", "qemu:///system", "",
     "libvirt connection URI where the Vmfile sets no `libvirt.uri`"},
    {"LIBVIRT_DEFAULT_URI", "", "unset",
     "not vmlab's connection (that is VMLAB_LIBVIRT_URI): `vmlab doctor` warns when it names "
     "another libvirt than vmlab uses, since virsh follows it"},
    {"VMLAB_ACCEL", "", "probe: KVM if usable, else TCG",
     "`kvm` or `tcg`: libvirt domain type without probing /dev/kvm"},
    {"VMLAB_HOME", "", "$XDG_DATA_HOME/vmlab, else ~/.local/share/vmlab",
     "box store and provider data"},
    {"XDG_DATA_HOME", "", "unset", "base of the default VMLAB_HOME"},
    {"HOME", "", "unset",
     "base of the default VMLAB_HOME without XDG_DATA_HOME (else /var/lib/vmlab)"},
    {"VMLAB_PARALLEL", "4", "", "machine operations (create, start) at once"},
    {"VMLAB_BOOT_TIMEOUT", "300", "",
     "seconds a created or started machine has to answer SSH (and cloud-init to finish)"},
    {"VMLAB_CONNECT_TIMEOUT", "60", "",
     "seconds to connect over SSH to a machine that already runs, before its steps"},
    {"VMLAB_ADDRESS_WAIT", "15", "",
     "seconds a booted machine may lack a lab address before it fails (0: no check)"},
    {"VMLAB_HALT_TIMEOUT", "60", "",
     "seconds an ACPI shutdown may take before the machine is powered off (0: at once)"},
    {"VMLAB_LOG", "warn", "",
     "log level on stderr: debug, info, warn or error (`-v`, `-vv` raise it)"},
    {"NO_COLOR", "", "unset", "set and non-empty: no colours, also on a terminal"},
    {"VMLAB_DISK_CACHE", "writeback", "",
     "libvirt cache mode of machine disks (`unsafe`: faster, throw-away labs)"},
    {"VMLAB_LIBVIRT_POOL_DIR", "/var/lib/libvirt/images/vmlab", "",
     "directory of the `vmlab` storage pool, when vmlab defines the pool"},
    {"VMLAB_LIBVIRT_LOG_DIR", "/var/log/libvirt/qemu", "",
     "where libvirt writes the machines' console logs (vmlab reads them)"},
    {"VMLAB_CACHE", "/var/cache/vmlab", "",
     "host cache of what the project builds (boxes, the Kubernetes bundle in k8s/v<version>)"},
    {"VMLAB_VBOXMANAGE", "VBoxManage", "", "the VBoxManage program (the tests name the simulator)"},
    {"VMLAB_VBOX_HOSTONLYNET", "", "1 on macOS with VirtualBox 7, else 0",
     "1: lab networks are VirtualBox host-only networks (hostonlynet), 0: host-only interfaces"},
    {"VMLAB_VBOX_NETWORKS_CONF", "/etc/vbox/networks.conf", "",
     "VirtualBox's allowed host-only ranges (none listed: 192.168.56.0/21)"},
    {"PATH", "/usr/bin:/bin", "",
     "where `vmlab doctor` looks for the tools (ssh, ssh-keygen, qemu-img, VBoxManage)"},
};

}  // namespace

std::span<const Setting> table() {
  return kTable;
}

const Setting& find(std::string_view name) {
  for (const auto& s : kTable)
    if (s.name == name) return s;
  throw std::logic_error(fmt::format("environment variable {} is not in the settings table", name));
}

std::optional<std::string> raw(std::string_view name) {
  const std::string n(find(name).name);
  if (const char* v = std::getenv(n.c_str())) return std::string(v);
  return std::nullopt;
}

std::optional<std::string> value(std::string_view name) {
  auto v = raw(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::string text(std::string_view name) {
  if (auto v = value(name)) return *v;
  return std::string(find(name).fallback);
}

namespace {
long fallback_number(std::string_view name) {
  return std::strtol(std::string(find(name).fallback).c_str(), nullptr, 10);
}
}  // namespace

std::chrono::seconds seconds(std::string_view name, long min) {
  if (auto v = raw(name)) {
    long s = std::strtol(v->c_str(), nullptr, 10);
    if (s >= min) return std::chrono::seconds(s);
  }
  return std::chrono::seconds(fallback_number(name));
}

long count(std::string_view name) {
  if (auto v = raw(name)) {
    long n = std::strtol(v->c_str(), nullptr, 10);
    if (n > 0) return n;
  }
  return fallback_number(name);
}

std::optional<bool> flag(std::string_view name) {
  auto v = value(name);
  if (!v) return std::nullopt;
  return *v == "1";
}

std::string help_text() {
  size_t width = 0;
  for (const auto& s : kTable) width = std::max(width, s.name.size());
  std::string out = "Environment (name, default, meaning):\n";
  for (const auto& s : kTable)
    out += fmt::format("  {:<{}}  {}\n  {:<{}}  {}\n", s.name, width, s.shown_default(), "", width,
                       s.meaning);
  std::erase(out, '`');  // Markdown quotes, for the README
  return out;
}

std::string markdown_table() {
  std::string out = "| variable | default | meaning |\n|---|---|---|\n";
  for (const auto& s : kTable)
    out += fmt::format("| `{}` | {} | {} |\n", s.name, s.shown_default(), s.meaning);
  return out;
}

}  // namespace vmlab::settings
