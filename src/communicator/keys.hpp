#pragma once
// SSH keys for a lab: the per-lab ed25519 user key pair, host key pinning and the OpenSSH
// known_hosts file vmlab writes (and `vmssh` hands to the system ssh).
// Errors: functions throw vmlab::SshError with the path and the reason.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::communicator {

// An OpenSSH public key: "ssh-ed25519 AAAA... comment".
struct PublicKey {
  std::string type;     // "ssh-ed25519"
  std::string blob;     // raw (decoded) key blob, as the SSH wire format carries it
  std::string comment;  // may be empty
  std::string base64() const;
  std::string to_line() const;  // "type base64[ comment]"
};

// Parses one public key line; nullopt when it is not "TYPE BASE64 [COMMENT]" with a blob
// whose embedded type name equals TYPE.
std::optional<PublicKey> parse_public_key(std::string_view line);

// OpenSSH-style fingerprint of a raw key blob: "SHA256:" + base64(sha256(blob)) unpadded.
std::string fingerprint_sha256(std::string_view blob);

// Creates an ed25519 key pair at `path` and `path`.pub (mode 0600 / 0644) by running
// `ssh-keygen -t ed25519 -N "" -C comment -f path -q`. Idempotent: an existing pair is kept;
// a private key without its .pub gets the .pub re-derived. Creates the parent directory.
void generate_ed25519(const std::filesystem::path& path, const std::string& comment);

// Reads the one-line public key at `path` (usually "<key>.pub"), trimmed. Throws when missing
// or not a public key.
std::string read_public_key(const std::filesystem::path& path);

// known_hosts host pattern: "host" for port 22, else "[host]:port" (what OpenSSH writes).
std::string known_hosts_name(const std::string& host, int port);

struct KnownHost {
  std::vector<std::string> names;  // host patterns / aliases (comma-separated in the file)
  PublicKey key;
};

// Reads an OpenSSH known_hosts file (plain names only; hashed "|1|" lines and markers such as
// @cert-authority are skipped). A missing file is an empty list.
std::vector<KnownHost> read_known_hosts(const std::filesystem::path& path);

// Writes the entries atomically (temp file + rename), mode 0644, one "names type key" line
// each. Creates the parent directory.
void write_known_hosts(const std::filesystem::path& path, const std::vector<KnownHost>& entries);

// Adds or replaces the entry that has `name` among its names; returns the new list.
std::vector<KnownHost> upsert_known_host(std::vector<KnownHost> entries, const KnownHost& entry);

// The pinned key for `name` (a known_hosts_name() or an alias), if any.
std::optional<PublicKey> find_known_host(const std::vector<KnownHost>& entries,
                                         const std::string& name);

// Whether a server host key, as libssh2 reports it (raw blob + LIBSSH2_HOSTKEY_TYPE_*),
// is the pinned one ("ssh-ed25519 AAAA..."). An unparsable pinned key never matches.
bool host_key_matches(std::string_view pinned, std::string_view blob, int libssh2_type);

// The OpenSSH type name for a LIBSSH2_HOSTKEY_TYPE_* value ("unknown" if none).
const char* host_key_type_name(int libssh2_type);

}  // namespace vmlab::communicator
