#pragma once
// The core's side of the provider contract: what it does with each capability flag, and
// where provider warnings go. (up.cpp also reads parallel_create, linked_clones and
// ssh_via_port_forward per machine.)
#include "config/model.hpp"
#include "executor/reporter.hpp"
#include "plan/plan.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

// Before `up` touches anything: refuses (UsageError, nothing created) a lab the provider
// cannot build ([[network]] entries without private_networks) and warns, per node to be
// created or started, about what it will not get (`forward` without port_forwards).
void check_capabilities(const config::Topology& topo, const plan::Plan& plan,
                        const providers::Capabilities& caps, Reporter& rep);

// Throws UsageError naming the provider when it cannot take snapshots; snapshot commands call
// it before any provider->snapshot_*().
void require_snapshots(const config::Topology& topo, const providers::Capabilities& caps);

// For its lifetime, the provider's warnings go to the reporter (so --json carries them).
class WarningsToReporter {
 public:
  WarningsToReporter(providers::Provider& p, Reporter& rep);
  ~WarningsToReporter();
  WarningsToReporter(const WarningsToReporter&) = delete;
  WarningsToReporter& operator=(const WarningsToReporter&) = delete;

 private:
  providers::Provider& provider_;
};

}  // namespace vmlab::executor
