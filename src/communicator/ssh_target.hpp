#pragma once
// Where and as whom to connect. Plain data; cheap to copy.
#include <filesystem>
#include <string>

namespace vmlab::communicator {

struct SshTarget {
  std::string host;                      // "127.0.0.1" or a lab address / resolvable name
  int port = 22;
  std::string user;                      // login user ("vmlab", "root", ...)
  std::filesystem::path private_key;     // OpenSSH private key; "<key>.pub" used if present
  std::string pinned_host_key;           // "ssh-ed25519 AAAA...": the ONLY key accepted
  std::string label;                     // node name, used in every message
};

}  // namespace vmlab::communicator
