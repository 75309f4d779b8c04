#pragma once
// `type = "file"`: copies step.source (a file or a directory tree) to step.destination on the
// guest, over SFTP. Modes are preserved. When `privileged` and the login user is not root,
// the copy is staged in /tmp and moved into place with sudo (so /etc/... works); otherwise
// it is uploaded in place.
// probe(): Present when every local file is at the destination with the same sha256 (extra
// remote files in a destination directory are ignored); Absent when one is missing or
// differs; Unknown when the guest has no sha256sum.
#include "provisioners/file/tree_copy.hpp"  // local_digests, parse_sha256sum
#include "provisioners/provisioner.hpp"

namespace vmlab::provisioners {

class FileProvisioner final : public Provisioner {
 public:
  ProbeResult probe(Context& ctx) override;
  void apply(Context& ctx) override;
};

}  // namespace vmlab::provisioners
