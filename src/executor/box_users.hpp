#pragma once
// Which labs on this host still use a box (`vmlab box remove` refuses to remove it then):
// the labs the hypervisors list (find_host_labs) whose project record says a machine the
// hypervisor still has was created from the box (state::MachineRecord::box). A record written
// before the box was kept there is answered from the project's Vmfile instead.
#include <string>
#include <vector>

#include "executor/host_labs.hpp"

namespace vmlab::executor {

struct BoxUser {
  std::string provider;
  std::string lab_id;
  std::string project_dir;
  std::vector<std::string> nodes;  // the machines made from the box
};

// Reads only the projects' .vmlab/state.json (and their Vmfiles for old records); labs with
// no project directory on record, or whose project is gone, are not users.
std::vector<BoxUser> box_users(const std::string& box, const HostLabs& labs);

// "lab k8s-1a2b3c (libvirt, /home/me/k8s): m-k8s, w1-k8s": one user, as messages show it.
std::string describe(const BoxUser& u);

}  // namespace vmlab::executor
