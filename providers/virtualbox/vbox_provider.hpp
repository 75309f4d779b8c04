#pragma once
// The VirtualBox provider (VBoxManage through vboxmanage.hpp). See docs/virtualbox.md.
#include <memory>

#include "providers/provider.hpp"

namespace vmlab::providers {

// Called by the provider table (providers/registry). Does not run VBoxManage yet: the first
// call that needs it probes the version.
std::unique_ptr<Provider> make_virtualbox_provider(const config::Topology& topo);

}  // namespace vmlab::providers
