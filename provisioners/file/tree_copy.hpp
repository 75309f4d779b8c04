#pragma once
// Copying a project file or directory tree to a guest by digest, over a Remote: what the file
// provisioner (its probe) and `copy` synced folders (executor/sync.cpp) share. A file is sent
// only when the guest has no file at its path or one with another sha256; files that exist
// only in the guest are left alone.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "communicator/remote.hpp"

namespace vmlab::provisioners {

// Relative path ("./a/b" form, as `find .` prints) -> sha256 hex, for every regular file under
// `dir`; for a single file: {".", hash}. Entries of `dir` named in `skip_top` (e.g. ".vmlab")
// are left out with everything below them. Throws Error when a file cannot be read.
std::map<std::string, std::string> local_digests(const std::filesystem::path& source,
                                                 const std::set<std::string>& skip_top = {});
// Parses `sha256sum` output lines "HASH  PATH" into PATH -> HASH.
std::map<std::string, std::string> parse_sha256sum(const std::string& text);

// The guest's digests at `dest`: a directory's files as "./a/b" (empty when it does not
// exist), or {".", hash} for a file (`dir` false; empty when missing). Read with sudo when
// `sudo`. nullopt when the guest has no sha256sum (nothing can be compared).
std::optional<std::map<std::string, std::string>> remote_digests(communicator::Remote& remote,
                                                                 const std::string& dest, bool dir,
                                                                 bool sudo);

// The paths of `local` that `remote` lacks or has with another digest, in path order.
std::vector<std::string> changed_files(const std::map<std::string, std::string>& local,
                                       const std::map<std::string, std::string>& remote);

struct CopyResult {
  std::size_t sent = 0;       // files uploaded
  std::size_t unchanged = 0;  // files already there with the same digest
  std::uintmax_t bytes = 0;   // bytes uploaded
};

// Makes every file of the directory `source` (but `skip_top`) present at `dest` with the same
// content and mode, sending only the changed ones (all of them when the guest cannot
// digest). The login user must be able to write `dest`. Throws SshError/Error.
CopyResult copy_changed(communicator::Remote& remote, const std::filesystem::path& source,
                        const std::string& dest, const std::set<std::string>& skip_top = {});

}  // namespace vmlab::provisioners
