// Trust on first use (communicator/lab_access): a host key seen at a Vagrant box's first login
// replaces the generated one in known_hosts and in every target, survives ensure_lab_keys, and
// is dropped again by forget_seen_host_key.
#include <doctest/doctest.h>

#include "communicator/keys.hpp"
#include "communicator/lab_access.hpp"
#include "testutil.hpp"

using namespace vmlab::communicator;

namespace {
const std::string kSeen =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAXcHqMPkRpxiMbvUvDDg507h8x/H2AeRgacmhl6RO+U";
}

TEST_CASE("pin_seen_host_key pins the first-login key until forget_seen_host_key") {
  vmlab::test::TempDir dir;
  ensure_lab_keys(dir.path(), "lab-abc123", {"n1", "n2"});
  const std::string generated = pinned_host_key(dir.path(), "n1");
  REQUIRE(generated != kSeen);

  pin_seen_host_key(dir.path(), "lab-abc123", "n1", kSeen);
  CHECK(pinned_host_key(dir.path(), "n1") == kSeen);
  CHECK(lab_target(dir.path(), "n1", "vagrant", "10.0.0.1", 22).pinned_host_key == kSeen);
  auto known = read_known_hosts(dir.path() / ".vmlab/known_hosts");
  REQUIRE(find_known_host(known, host_alias("lab-abc123", "n1")));
  CHECK(find_known_host(known, host_alias("lab-abc123", "n1"))->to_line() == kSeen);
  CHECK(find_known_host(known, host_alias("lab-abc123", "n2")));  // the others stay

  ensure_lab_keys(dir.path(), "lab-abc123", {"n1", "n2"});  // every `up` rewrites known_hosts
  known = read_known_hosts(dir.path() / ".vmlab/known_hosts");
  CHECK(find_known_host(known, host_alias("lab-abc123", "n1"))->to_line() == kSeen);

  forget_seen_host_key(dir.path(), "n1");
  forget_seen_host_key(dir.path(), "n1");  // idempotent
  CHECK(pinned_host_key(dir.path(), "n1") == generated);
  CHECK_THROWS(pin_seen_host_key(dir.path(), "lab-abc123", "n1", "not a key"));
}
