#pragma once
// The explicit provider table: the only place that names every provider. Adding a provider
// is its own folder under providers/ plus one line in registry.cpp.
#include <memory>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "providers/provider.hpp"

namespace vmlab::providers {

struct ProviderEntry {
  const char* name;
  const char* description;
  // Makes the provider for a lab. Must not contact the backend yet (the first call does).
  std::unique_ptr<Provider> (*make)(const config::Topology& topo);
  // Box hook, called by `vmlab box remove NAME` after the box left the store: deletes what
  // the provider keeps of box NAME outside any lab (libvirt: its pool volumes). Returns a
  // line for the user ("" when nothing was there). Throws ProviderError when the backend
  // cannot be reached (the caller logs it and goes on). May be null (nothing kept).
  std::string (*forget_box)(const std::string& box_name);
  // The client library the provider links, for `vmlab --version` ("libvirt 9.0.0 (compiled
  // against 9.0.0)"); never contacts the backend. Null when it links none (a subprocess).
  std::string (*library_version)();
};

const std::vector<ProviderEntry>& provider_table();
// Looks a provider up by name; throws UsageError naming the known providers.
std::unique_ptr<Provider> make_provider(const std::string& name, const config::Topology& topo);

}  // namespace vmlab::providers
