#pragma once
// What the read-only commands show of a lab, as data: `vmlab status` prints it, `vmlab ci`
// keeps it as an artifact and hands the inventory to its command.
#include <filesystem>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "lab/lab.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

struct NodeStatus {
  std::string name;
  providers::MachineState machine = providers::MachineState::NotCreated;
  std::string state;         // providers::to_string(machine)
  std::string addresses;     // lab addresses, comma-separated, "-" if none
  std::string ssh;           // host:port, "-" if none
  std::string provisioning;  // "provisioned", "k/n steps", "none", "-"
  struct Port {
    std::string host_ip;
    int host = 0, guest = 0;
    std::string protocol;
    bool active = false;  // bound now (the node runs and its forward is served)
  };
  std::vector<Port> forwards;  // the node's `forward` entries
  // "127.0.0.1:8080->80/tcp,..." ("(inactive)" after those not bound now), "-" if none.
  std::string forwards_text() const;
};

// One provider->list() (lab.live(false)) and the record; Vmfile order.
std::vector<NodeStatus> node_status(lab::Lab& lab);
// `vmlab status --json`: {"lab", "lab_id", "provider", "nodes": [...]}.
nlohmann::json status_json(lab::Lab& lab, const std::vector<NodeStatus>& nodes);

// An Ansible inventory (INI) of the nodes with an endpoint: a group for the lab, one per node
// group, and ansible_ssh_common_args='-F <ssh_config>' (ssh_config: the file written from
// ssh_config_text for the same endpoints).
std::string inventory_text(const lab::Lab& lab,
                           const std::map<std::string, providers::SshEndpoint>& endpoints,
                           const std::filesystem::path& ssh_config);

// Writes .vmlab/ssh_config for `endpoints` (0600) and returns its path.
std::filesystem::path write_ssh_config(
    const lab::Lab& lab, const std::map<std::string, providers::SshEndpoint>& endpoints);

}  // namespace vmlab::executor
