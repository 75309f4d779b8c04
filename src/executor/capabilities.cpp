#include "executor/capabilities.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "executor/forwards.hpp"

namespace vmlab::executor {

void check_capabilities(const config::Topology& topo, const plan::Plan& plan,
                        const providers::Capabilities& caps, Reporter& rep) {
  if (!caps.private_networks && !topo.networks.empty())
    throw UsageError(fmt::format(
        "the {} provider has no private networks; remove the [[network]] entries ({}) or use "
        "another provider (nothing was created)",
        topo.provider, topo.networks.front().name));
  const bool forwards = caps.port_forwards || caps.guest_reachable;
  std::vector<std::string> starting;
  for (const auto& n : plan.nodes) {
    const config::Node* node = topo.find_node(n.node);
    if (node->forwards.empty() || !(n.create || n.start)) continue;
    starting.push_back(n.node);
    if (!forwards)
      rep.warning(n.node, fmt::format("the {} provider does not forward ports; reach the "
                                      "guest's ports on its lab address instead",
                                      topo.provider));
    for (const auto& f : node->forwards)
      if (forwards && f.host_ip != "127.0.0.1" && f.host_ip.rfind("127.", 0) != 0)
        rep.warning(n.node,
                    fmt::format("host port {}:{}/{} is bound on a non-loopback address: other "
                                "machines that reach this host reach guest port {} too",
                                f.host_ip, f.host, f.protocol, f.guest));
  }
  // Before anything is created: a port someone else holds is an error naming them.
  if (forwards) check_forward_ports(topo, starting);
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
