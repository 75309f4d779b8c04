#pragma once
// Which libvirt domain type to use: "kvm" when hardware acceleration really works, else
// "qemu" (TCG). Never hangs, even where /dev/kvm exists but guests never run.
#include <chrono>
#include <string>

namespace vmlab::providers::libvirt {

enum class Accel { Kvm, Tcg };

// Runs a tiny real-mode guest (mov al,0x42; out 0x10,al; hlt) through /dev/kvm in a forked
// child; Kvm only if it exits with the expected I/O then HLT within `timeout` (the child is
// SIGKILLed after that). Anything else (no /dev/kvm, ioctl failure, timeout) is Tcg.
Accel probe_kvm(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// VMLAB_ACCEL=kvm|tcg overrides; otherwise local qemu URIs (qemu:///system, qemu:///session)
// are probed once per process, and every other URI (remote, test://) gets Tcg.
// Returns the libvirt domain type: "kvm" or "qemu".
std::string domain_type_for(const std::string& uri);

}  // namespace vmlab::providers::libvirt
