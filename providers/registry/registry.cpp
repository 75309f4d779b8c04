// The explicit provider table. Adding a provider = one line here + its own folder.
#include "providers/registry/registry.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "providers/libvirt/libvirt_provider.hpp"
#include "providers/virtualbox/vbox_provider.hpp"

namespace vmlab::providers {

const std::vector<ProviderEntry>& provider_table() {
  static const std::vector<ProviderEntry> table = {
      {"libvirt", "libvirt/KVM (QEMU TCG when KVM is unusable) through the libvirt C API",
       &make_libvirt_provider, &forget_libvirt_box, &libvirt_library_version},
      {"virtualbox", "VirtualBox through VBoxManage (linked clones)", &make_virtualbox_provider,
       nullptr, nullptr},
  };
  return table;
}

std::unique_ptr<Provider> make_provider(const std::string& name, const config::Topology& topo) {
  std::string known;
  for (const auto& e : provider_table()) {
    if (name == e.name) return e.make(topo);
    known += (known.empty() ? "" : ", ") + std::string(e.name);
  }
  throw UsageError(fmt::format("unknown provider \"{}\" (known: {})", name, known));
}

}  // namespace vmlab::providers
