#pragma once
// `type = "file"`: copies step.source (a file or a directory tree) to step.destination on the
// guest, over SFTP. Modes are preserved. When `privileged` and the login user is not root,
// the copy is staged in /tmp and moved into place with sudo (so /etc/... works); otherwise
// it is uploaded in place.
// probe(): Present when every local file is at the destination with the same sha256 (extra
// remote files in a destination directory are ignored); Absent when one is missing or
// differs; Unknown when the guest has no sha256sum.
#include <map>
#include <string>

#include "provisioners/provisioner.hpp"

namespace vmlab::provisioners {

class FileProvisioner final : public Provisioner {
 public:
  ProbeResult probe(Context& ctx) override;
  void apply(Context& ctx) override;
};

// Relative path ("./a/b" form, as `find .` prints) -> sha256 hex, for every regular file under
// `dir`; for a single file: {".", hash}.
std::map<std::string, std::string> local_digests(const std::filesystem::path& source);
// Parses `sha256sum` output lines "HASH  PATH" into PATH -> HASH.
std::map<std::string, std::string> parse_sha256sum(const std::string& text);

}  // namespace vmlab::provisioners
