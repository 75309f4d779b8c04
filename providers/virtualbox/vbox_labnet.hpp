#pragma once
// Lab-wide VirtualBox state: the host-only interface (or network) of each lab network and the
// boxes the lab's clones use, kept in <data>/virtualbox/labs/<lab_id>/lab.json.
//  - host-only interface (`hostonlyif create` + `ipconfig --ip <gateway> --netmask`): the
//    classic form on Linux/Windows hosts; VirtualBox names it vboxnetN, so lab.json remembers
//    it. An existing interface with the same address is shared (as Vagrant does) and removed
//    only when no lab record uses it any more.
//  - host-only network (`hostonlynet add --name vmlab-<lab_id>-<net>`, VirtualBox >= 7.0):
//    used on macOS hosts, or when VMLAB_VBOX_HOSTONLYNET=1.
//  - internal network (config Network::internal): `intnet` "vmlab-<lab_id>-<net>", no host side.
// Every change happens under <data>/virtualbox/labs.lock.
#include <map>
#include <set>
#include <string>

#include "config/model.hpp"
#include "core/error.hpp"
#include "providers/virtualbox/vbox_argv.hpp"
#include "providers/virtualbox/vboxmanage.hpp"

namespace vmlab::vbox {

struct LabNetwork {
  argv::NicKind kind = argv::NicKind::HostOnly;
  std::string attach;    // vboxnetN / host-only network name / intnet name
  bool created = false;  // made for this lab (else shared with an existing one)
};

struct LabRecord {
  std::map<std::string, LabNetwork> networks;  // lab network name -> attachment
  std::set<std::string> boxes;                 // boxes whose master this lab's clones use
};

// Whether lab networks become VirtualBox 7 host-only networks (else host-only interfaces).
bool use_hostonlynet(const Version& v);

LabRecord load_lab_record(const std::string& lab_id);  // empty if none
// Every lab record except `lab_id`'s (to know what other labs still use).
std::map<std::string, LabRecord> other_lab_records(const std::string& lab_id);

// Creates (or finds) the attachment of every lab network and records it. Idempotent.
Result<LabRecord> prepare_lab_networks(const VBoxManage& vbm, const config::Topology& topo,
                                       const std::string& lab_id, bool hostonlynet);
// Adds `box` to the lab's record of boxes in use.
Status record_box(const std::string& lab_id, const std::string& box);
// Removes the lab's host-only interfaces/networks that no other lab uses; keeps the record.
Status remove_lab_networks(const VBoxManage& vbm, const std::string& lab_id);

}  // namespace vmlab::vbox
