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

#include "core/children.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"

namespace vmlab::providers::libvirt {
namespace {

// The probe guest, loaded at 0x1000 and entered in real mode: it walks the path every OS
// loader takes (and that faults where nested KVM is broken, while a plain real-mode guest
// still runs): lgdt, protected mode, PAE + EFER.LME + paging, a far jump to 64-bit code,
// then `mov al,0x42; out 0x10,al; hlt`. Assembled from (GNU as, ld -Ttext=0x1000):
//   .code16: cli; lgdtl gdtr; cr0|=1; ljmpl $8,$pm32
//   .code32 pm32: ds=es=ss=0x10; cr4|=0x20; cr3=0x2000; EFER(0xc0000080)|=0x100;
//                 cr0|=0x80000000; ljmp $0x18,$lm64
//   .code64 lm64: mov $0x42,%al; out %al,$0x10; hlt
//   gdt: null, 32-bit code (0x00cf9a000000ffff), data (0x00cf92..), 64-bit code (0x00af9a..)
// The host prepares identity page tables at 0x2000 (PML4), 0x3000 (PDPT), 0x4000 (one 2 MiB
// page).
const unsigned char kGuest[] = {
    0xfa, 0x66, 0x0f, 0x01, 0x16, 0x80, 0x10, 0x0f, 0x20, 0xc0, 0x66, 0x83, 0xc8, 0x01, 0x0f,
    0x22, 0xc0, 0x66, 0xea, 0x19, 0x10, 0x00, 0x00, 0x08, 0x00, 0x66, 0xb8, 0x10, 0x00, 0x8e,
    0xd8, 0x8e, 0xc0, 0x8e, 0xd0, 0x0f, 0x20, 0xe0, 0x83, 0xc8, 0x20, 0x0f, 0x22, 0xe0, 0xb8,
    0x00, 0x20, 0x00, 0x00, 0x0f, 0x22, 0xd8, 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0x0d,
    0x00, 0x01, 0x00, 0x00, 0x0f, 0x30, 0x0f, 0x20, 0xc0, 0x0d, 0x00, 0x00, 0x00, 0x80, 0x0f,
    0x22, 0xc0, 0xea, 0x54, 0x10, 0x00, 0x00, 0x18, 0x00, 0xb0, 0x42, 0xe6, 0x10, 0xf4, 0x0f,
    0x1f, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff,
    0xff, 0x00, 0x00, 0x00, 0x9a, 0xcf, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x92, 0xcf, 0x00,
    0xff, 0xff, 0x00, 0x00, 0x00, 0x9a, 0xaf, 0x00, 0x1f, 0x00, 0x60, 0x10, 0x00, 0x00,
};

// The child: returns 0 when the guest behaved, 1 otherwise. Only system calls, no allocation
// through the C++ runtime (we are a fork of a possibly multi-threaded process).
int run_guest() {
  int kvm = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) return 1;
  if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return 1;
  int vm = ioctl(kvm, KVM_CREATE_VM, 0);
  if (vm < 0) return 1;
  const size_t mem_size = 0x200000;
  auto* mem = static_cast<unsigned char*>(
      mmap(nullptr, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (mem == MAP_FAILED) return 1;
  memcpy(mem + 0x1000, kGuest, sizeof kGuest);
  auto* pml4 = reinterpret_cast<__u64*>(mem + 0x2000);
  auto* pdpt = reinterpret_cast<__u64*>(mem + 0x3000);
  auto* pd = reinterpret_cast<__u64*>(mem + 0x4000);
  pml4[0] = 0x3000 | 0x7;  // present, writable, user
  pdpt[0] = 0x4000 | 0x7;
  pd[0] = 0x0 | 0x87;  // 2 MiB page at 0
  kvm_userspace_memory_region region{};
  region.slot = 0;
  region.guest_phys_addr = 0;
  region.memory_size = mem_size;
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
    children::become_group_leader();  // a terminal's Ctrl-C is vmlab's to handle, not the probe's
    alarm(static_cast<unsigned>(timeout.count() / 1000 + 2));  // belt and braces
    _exit(run_guest());
  }
  children::Registered registered(pid);
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
  if (auto env = settings::value("VMLAB_ACCEL")) {
    const std::string& v = *env;
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
