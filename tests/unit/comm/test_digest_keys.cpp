#include <doctest/doctest.h>

#include "communicator/digest.hpp"
#include "communicator/keys.hpp"
#include "testutil.hpp"

using namespace vmlab::communicator;

namespace {
// A real ed25519 public key (from ssh-keygen) and its `ssh-keygen -l` fingerprint.
const std::string kKey =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAXcHqMPkRpxiMbvUvDDg507h8x/H2AeRgacmhl6RO+U test@x";
}

TEST_CASE("sha256 known vectors") {
  CHECK(to_hex(sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(to_hex(sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string million(1000000, 'a');
  CHECK(to_hex(sha256(million)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("base64 round trip, padding optional") {
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("fo", false) == "Zm8");
  CHECK(base64_decode("Zm8=").value() == "fo");
  CHECK(base64_decode("Zm8").value() == "fo");
  CHECK_FALSE(base64_decode("Zm*8").has_value());
}

TEST_CASE("public keys parse only when the blob's type matches") {
  auto k = parse_public_key(kKey);
  REQUIRE(k.has_value());
  CHECK(k->type == "ssh-ed25519");
  CHECK(k->comment == "test@x");
  CHECK(k->blob.size() == 51);  // string "ssh-ed25519" + string(32 bytes)
  CHECK(k->to_line() == kKey);
  CHECK_FALSE(parse_public_key("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIAXcHqMPkRpxiMbvUvDDg507h8x/H2AeRgacmhl6RO+U").has_value());
  CHECK_FALSE(parse_public_key("ssh-ed25519").has_value());
  CHECK_FALSE(parse_public_key("ssh-ed25519 !!!").has_value());
}

TEST_CASE("fingerprints are OpenSSH's SHA256 form (base64, no padding)") {
  auto k = parse_public_key(kKey);
  std::string fp = fingerprint_sha256(k->blob);
  CHECK(fp == "SHA256:3/OltbYJGZQ7cI2OX1NQI0N07zRr+zd8ms7iQp43xyQ");  // ssh-keygen -l -E sha256
}

TEST_CASE("host_key_matches compares type and blob") {
  auto k = parse_public_key(kKey);
  const int kEd25519 = 6, kRsa = 1;  // LIBSSH2_HOSTKEY_TYPE_*
  CHECK(host_key_matches(kKey, k->blob, kEd25519));
  CHECK_FALSE(host_key_matches(kKey, k->blob, kRsa));
  std::string other = k->blob;
  other.back() ^= 1;
  CHECK_FALSE(host_key_matches(kKey, other, kEd25519));
  CHECK_FALSE(host_key_matches("", k->blob, kEd25519));
  CHECK(std::string(host_key_type_name(kEd25519)) == "ssh-ed25519");
}

TEST_CASE("known_hosts: names, write, read back, upsert") {
  vmlab::test::TempDir tmp;
  CHECK(known_hosts_name("127.0.0.1", 22) == "127.0.0.1");
  CHECK(known_hosts_name("127.0.0.1", 2201) == "[127.0.0.1]:2201");
  auto key = *parse_public_key(kKey);
  std::vector<KnownHost> hosts = {{{"[127.0.0.1]:2201", "node1"}, key}};
  auto path = tmp / "sub/known_hosts";
  write_known_hosts(path, hosts);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "[127.0.0.1]:2201,node1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAXcHqMPkRpxiMbvUvDDg507h8x/H2AeRgacmhl6RO+U");
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms(0777)) == std::filesystem::perms(0644));
  auto back = read_known_hosts(path);
  REQUIRE(back.size() == 1);
  CHECK(back[0].names == std::vector<std::string>{"[127.0.0.1]:2201", "node1"});
  CHECK(find_known_host(back, "node1")->blob == key.blob);
  CHECK_FALSE(find_known_host(back, "node2").has_value());
  auto two = upsert_known_host(back, {{"node2"}, key});
  auto replaced = upsert_known_host(two, {{"node1"}, key});
  CHECK(replaced.size() == 2);
  CHECK(replaced.back().names == std::vector<std::string>{"node1"});
  CHECK(read_known_hosts(tmp / "missing").empty());
}
