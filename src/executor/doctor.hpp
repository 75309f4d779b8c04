#pragma once
// `vmlab doctor`: checks this host can run the lab as written (or, without a Vmfile, any
// lab): what the provider says (Provider::diagnose) plus the checks every provider shares
// (box store, ssh tools, the ISO library, lab networks against the host's routes, forwarded
// ports, memory, disk). Read-only: creates nothing.
#include <string>
#include <vector>

#include "config/model.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

struct DoctorOptions {
  // The route table to check the lab networks against ("" = the one the provider names:
  // its daemon's network namespace); tests inject a file in /proc/net/route format.
  std::string route_table;
  std::string meminfo = "/proc/meminfo";
};

// The checks, in a stable order. `topo` null: host checks only (no Vmfile).
std::vector<providers::HostCheck> doctor(providers::Provider& provider,
                                         const config::Topology* topo, const std::string& lab_id,
                                         const DoctorOptions& opts = {});

// True when no check failed (the exit code is 0 then, 1 otherwise).
bool doctor_passed(const std::vector<providers::HostCheck>& checks);

}  // namespace vmlab::executor
