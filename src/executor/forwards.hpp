#pragma once
// Forwarded ports for providers whose guests the host reaches at their address (libvirt):
// one small relay process per lab, `vmlab __forwarder`, started detached by `up` (its own
// session, no terminal, so no shell needs to stay open), serving exactly the forwards of the
// lab's running nodes: TCP (accept, connect to the guest, copy both ways, half-closes kept)
// and UDP (a socket per client, idle ones dropped after a minute). What it serves is
// .vmlab/forwards.json; its pid is .vmlab/forwarder.pid; its log .vmlab/logs/forwarder.log.
// `up` (also a no-op one) brings it in line with the running nodes, `halt` and `destroy`
// stop it or shrink it. A provider that binds forwards itself (VirtualBox NAT rules,
// Capabilities::port_forwards) does not use it.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "providers/provider.hpp"

namespace vmlab::executor {

struct ForwardRule {
  std::string node;
  std::string protocol;  // "tcp" | "udp"
  std::string bind_ip;   // host side (127.0.0.1 unless the Vmfile widened it)
  int bind_port = 0;
  std::string target_ip;  // the guest's address as the provider reports it (SSH endpoint)
  int target_port = 0;
  bool operator==(const ForwardRule&) const = default;
};

// Whether the core forwards this lab's ports (the provider does not, but the host reaches
// its guests at their address).
bool core_forwards(const providers::Capabilities& caps);

// Every forward of the running nodes whose address the provider reports, in Vmfile order.
std::vector<ForwardRule> forward_rules(const config::Topology& topo,
                                       const std::map<std::string, providers::MachineInfo>& live);

// Before anything is created or started: each forward of `nodes` (the ones this run starts)
// must be bindable, unless this lab's own forwarder holds it. A taken port is a UsageError at
// the forward's position in the Vmfile naming the port and the process that has it (another
// lab's forwarder says which lab and project).
void check_forward_ports(const config::Topology& topo, const std::vector<std::string>& nodes);

// The lab's forwarder when it runs (pid file present, the process alive and ours).
std::optional<pid_t> forwarder_pid(const std::filesystem::path& project);

// The forwards the running forwarder serves (forwards.json), empty when none runs.
std::vector<ForwardRule> served_forwards(const std::filesystem::path& project);

// Brings the lab's forwarder in line with `rules`: nothing when it runs and serves exactly
// these; stopped when `rules` is empty; else (re)started, and this returns once it bound
// every port (true: it was (re)started or stopped). Throws Error naming the port it could not
// bind (the forwarder then exits).
// `program` is the vmlab binary to run as `vmlab __forwarder` (tests pass theirs).
bool sync_forwarder(const std::filesystem::path& project, const std::string& lab_id,
                    const std::vector<ForwardRule>& rules,
                    const std::filesystem::path& program = "/proc/self/exe");

// Stops the lab's forwarder (SIGTERM, then SIGKILL after 2 s) and removes its files.
// Idempotent.
void stop_forwarder(const std::filesystem::path& project);

// The forwarder itself (`vmlab __forwarder LAB_ID PROJECT`): binds every rule of
// forwards.json, writes "ok\n" (or "error: ...\n" and returns 1) to `ready_fd`, closes it,
// then relays until SIGTERM/SIGINT. Returns the exit status.
int run_forwarder(const std::filesystem::path& project, int ready_fd);

// Who holds a port on this host (network namespace): "process 123 (nginx -g ...)", a vmlab
// forwarder as "vmlab's forwarder of lab L (project P), process 123"; "" when unknown.
std::string port_holder(int port, const std::string& protocol);

}  // namespace vmlab::executor
