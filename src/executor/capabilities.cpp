#include "executor/capabilities.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace vmlab::executor {

void check_capabilities(const config::Topology& topo, const plan::Plan& plan,
                        const providers::Capabilities& caps, Reporter& rep) {
  if (!caps.private_networks && !topo.networks.empty())
    throw UsageError(fmt::format(
        "the {} provider has no private networks; remove the [[network]] entries ({}) or use "
        "another provider (nothing was created)",
        topo.provider, topo.networks.front().name));
  if (!caps.port_forwards)
    for (const auto& n : plan.nodes)
      if (!topo.find_node(n.node)->forwards.empty() && (n.create || n.start))
        rep.warning(n.node, fmt::format("the {} provider does not forward ports yet; reach the "
                                        "guest's ports on its lab address instead",
                                        topo.provider));
}

void require_snapshots(const config::Topology& topo, const providers::Capabilities& caps) {
  if (!caps.snapshots)
    throw UsageError(fmt::format("the {} provider does not support snapshots", topo.provider));
}

WarningsToReporter::WarningsToReporter(providers::Provider& p, Reporter& rep) : provider_(p) {
  provider_.set_warning_sink(
      [&rep](const std::string& node, const std::string& message) { rep.warning(node, message); });
}

WarningsToReporter::~WarningsToReporter() { provider_.set_warning_sink(nullptr); }

}  // namespace vmlab::executor
