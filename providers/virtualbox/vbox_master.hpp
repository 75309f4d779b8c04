#pragma once
// The master VM of a box: every lab machine is a linked clone of its snapshot "base".
// A qcow2 box is converted ONCE to <box dir>/virtualbox/box.vdi (qemu-img convert -O vdi) and
// registered as "vmlab-master-<box>"; a Vagrant VirtualBox box (box.ovf + *.vmdk) is imported
// with `VBoxManage import`. Both happen under <box dir>/virtualbox/master.lock, so two labs
// (or two threads) never import twice.
#include <string>

#include "boxes/box.hpp"
#include "core/error.hpp"
#include "providers/virtualbox/vboxmanage.hpp"

namespace vmlab::vbox {

struct Master {
  std::string name;        // "vmlab-master-<box>"
  std::string controller;  // its storage controller (the seed DVD goes on port 1)
};

// Makes sure the master exists with snapshot "base"; idempotent. Safe to call concurrently.
Result<Master> ensure_master(const VBoxManage& vbm, const boxes::Box& box);

// Removes the master of `box` (unregistervm --delete) and its converted disk. Idempotent.
Status remove_master(const VBoxManage& vbm, const boxes::Box& box);

}  // namespace vmlab::vbox
