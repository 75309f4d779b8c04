// Acceleration: the override and a probe that answers within its timeout.
#include "providers/libvirt/accel.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>

using namespace vmlab::providers::libvirt;

TEST_CASE("VMLAB_ACCEL overrides the probe") {
  setenv("VMLAB_ACCEL", "tcg", 1);
  CHECK(domain_type_for("qemu:///system") == "qemu");
  setenv("VMLAB_ACCEL", "kvm", 1);
  CHECK(domain_type_for("qemu:///system") == "kvm");
  unsetenv("VMLAB_ACCEL");
  CHECK(domain_type_for("test:///default") == "qemu");
  CHECK(domain_type_for("qemu+ssh://host/system") == "qemu");
}

TEST_CASE("the KVM probe returns within its timeout, whatever the host") {
  auto t0 = std::chrono::steady_clock::now();
  Accel a = probe_kvm(std::chrono::milliseconds(1500));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  MESSAGE("probe answered " << (a == Accel::Kvm ? "kvm" : "tcg") << " in " << ms.count() << " ms");
  CHECK(ms.count() < 2500);
}
