#pragma once
// Pure parsers for VBoxManage's output formats (LANG=C), as documented in the VirtualBox
// manual's VBoxManage chapter. No I/O; unit-tested with samples in the manual's formats.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::vbox {

// A VirtualBox version, e.g. "7.0.20r163906" or "6.1.50_Ubuntur161033" -> {7,0,20} / {6,1,50}.
struct Version {
  int major = 0;
  int minor = 0;
  int patch = 0;
  std::string text;  // as printed, trimmed
  auto operator<=>(const Version& o) const {
    if (auto c = major <=> o.major; c != 0) return c;
    if (auto c = minor <=> o.minor; c != 0) return c;
    return patch <=> o.patch;
  }
  bool operator==(const Version& o) const { return (*this <=> o) == 0; }
};

// Parses `VBoxManage --version` output. Lines before the version (kernel-module warnings) are
// skipped: the last line that starts with a digit counts. nullopt if there is none.
std::optional<Version> parse_version(const std::string& out);

// `showvminfo --machinereadable`: key="value" / key=value / "key"="value" lines -> map.
// Lines without '=' (continuations of multi-line values) are ignored.
std::map<std::string, std::string> parse_machinereadable(const std::string& text);

struct VmEntry {
  std::string name;
  std::string uuid;
};
// `list vms` / `list runningvms`: lines `"name" {uuid}`.
std::vector<VmEntry> parse_list_vms(const std::string& text);

// `getextradata VM KEY` output: "Value: X" -> "X"; "No value set!" (or anything else) -> "".
std::string parse_extradata_value(const std::string& text);

// `list hostonlyifs` / `list hostonlynets` / `list natnets`: blank-line separated blocks of
// "Key:   value" lines -> one map per block.
std::vector<std::map<std::string, std::string>> parse_blocks(const std::string& text);

struct HostOnlyIf {
  std::string name;
  std::string ip;
  std::string netmask;
};
std::vector<HostOnlyIf> parse_hostonlyifs(const std::string& text);

// `hostonlyif create` output: "Interface 'vboxnet3' was successfully created" -> "vboxnet3".
std::optional<std::string> parse_created_interface(const std::string& out);

// A NAT port-forward rule "name,proto,hostip,hostport,guestip,guestport" (modifyvm --natpf1,
// showvminfo's Forwarding(N)).
struct NatRule {
  std::string name;
  std::string protocol = "tcp";
  std::string host_ip;
  int host_port = 0;
  std::string guest_ip;
  int guest_port = 0;
  std::string to_string() const;
};
std::optional<NatRule> parse_nat_rule(const std::string& text);
// Every Forwarding(N) rule of a machinereadable map, in order.
std::vector<NatRule> forwarding_rules(const std::map<std::string, std::string>& info);

// startvm's error when a NAT rule's host port cannot be bound (VERR_NAT_REDIR_SETUP):
// the host port named in "failed to set up redirection of PORT to GUEST", else nullopt.
std::optional<int> nat_redirect_failure_port(const std::string& stderr_text);

}  // namespace vmlab::vbox
