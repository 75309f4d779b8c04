#pragma once
// Which libvirt domain type to use: "kvm" when hardware acceleration really works, else
// "qemu" (TCG). Never hangs, even where /dev/kvm exists but guests never run.
#include <chrono>
#include <string>

namespace vmlab::providers::libvirt {

enum class Accel { Kvm, Tcg };

// Runs a tiny guest through /dev/kvm in a forked child: it starts in real mode, switches to
// long mode the way an OS loader does, then does `out 0x10,0x42; hlt`. Kvm only if it exits
// with exactly that I/O then HLT within `timeout` (the child is SIGKILLed after that).
// Anything else (no /dev/kvm, ioctl failure, triple fault, timeout) is Tcg. A real-mode-only
// guest is not enough: where nested KVM is broken, real mode runs but the mode switch fails.
Accel probe_kvm(std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));

// VMLAB_ACCEL=kvm|tcg overrides; otherwise local qemu URIs (qemu:///system, qemu:///session)
// are probed once per process, and every other URI (remote, test://) gets Tcg.
// Returns the libvirt domain type: "kvm" or "qemu".
std::string domain_type_for(const std::string& uri);

}  // namespace vmlab::providers::libvirt
