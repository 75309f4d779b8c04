#include "providers/libvirt/accel.hpp"

#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "core/log.hpp"

namespace vmlab::providers::libvirt {
namespace {

// The child: returns 0 when the guest behaved, 1 otherwise. Only system calls, no allocation
// through the C++ runtime (we are a fork of a possibly multi-threaded process).
int run_guest() {
  int kvm = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return 1;
  if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return 1;
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) return 1;
  void* mem = mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return 1;
  static const unsigned char code[] = {0xb0, 0x42, 0xe6, 0x10, 0xf4};  // mov al,0x42; out; hlt
  memcpy(mem, code, sizeof code);
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = 0x1000;
  region.memory_size = 0x1000;
  region.userspace_addr = reinterpret_cast<__u64>(mem);
  if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return 1;
  int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
  if (vcpu < 0) return 1;
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) return 1;
  auto* run = static_cast<kvm_run*>(
      mmap(nullptr, static_cast<size_t>(run_size), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
  if (run == MAP_FAILED) return 1;
  kvm_sregs sregs{};
  if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return 1;
  sregs.cs.base = 0;
  sregs.cs.selector = 0;
  if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return 1;
  kvm_regs regs{};
  regs.rip = 0x1000;
  regs.rflags = 0x2;
  if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return 1;
  if (ioctl(vcpu, KVM_RUN, 0) < 0) return 1;
  if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
      run->io.port != 0x10 || run->io.size != 1)
    return 1;
  if (*(reinterpret_cast<unsigned char*>(run) + run->io.data_offset) != 0x42) return 1;
  if (ioctl(vcpu, KVM_RUN, 0) < 0) return 1;
  return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
}

}  // namespace

Accel probe_kvm(std::chrono::milliseconds timeout) {
  if (access("/dev/kvm", R_OK | W_OK) != 0) {
    log::debug("accel", "/dev/kvm not usable: TCG");
    return Accel::Tcg;
  }
  pid_t pid = fork();
  if (pid < 0) return Accel::Tcg;
  if (pid == 0) {
    alarm(static_cast<unsigned>(timeout.count() / 1000 + 2));  // belt and braces
    _exit(run_guest());
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return Accel::Tcg;
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      // Reap it if the kernel lets it go promptly; never block on it.
      for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      log::debug("accel", "KVM probe timed out after {} ms: TCG", timeout.count());
      return Accel::Tcg;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  log::debug("accel", "KVM probe {}", ok ? "passed: KVM" : "failed: TCG");
  return ok ? Accel::Kvm : Accel::Tcg;
}

std::string domain_type_for(const std::string& uri) {
  if (const char* env = std::getenv("VMLAB_ACCEL"); env && *env) {
    std::string v = env;
    if (v == "kvm") return "kvm";
    if (v == "tcg") return "qemu";
    log::warn("accel", "ignoring VMLAB_ACCEL={} (expected kvm or tcg)", v);
  }
  if (uri != "qemu:///system" && uri != "qemu:///session") return "qemu";
  static std::once_flag once;
  static Accel accel = Accel::Tcg;
  std::call_once(once, [] { accel = probe_kvm(); });
  return accel == Accel::Kvm ? "kvm" : "qemu";
}

}  // namespace vmlab::providers::libvirt
