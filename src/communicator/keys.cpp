#include "communicator/keys.hpp"

#include <libssh2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "communicator/digest.hpp"
#include "communicator/run_tool.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::communicator {
namespace fs = std::filesystem;
namespace {

std::string trim(std::string s) {
  auto ws = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!s.empty() && ws(s.back())) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && ws(s[i])) ++i;
  return s.substr(i);
}

// The SSH wire format starts a key blob with string(type): uint32 length + bytes.
std::optional<std::string> blob_type(std::string_view blob) {
  if (blob.size() < 4) return std::nullopt;
  auto b = [&](int i) { return std::uint32_t(std::uint8_t(blob[i])); };
  std::uint32_t n = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
  if (n > blob.size() - 4) return std::nullopt;
  return std::string(blob.substr(4, n));
}

std::vector<std::string> split_ws(std::string_view line, int max_fields) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    if (static_cast<int>(out.size()) == max_fields - 1) {
      out.push_back(trim(std::string(line.substr(i))));
      break;
    }
    std::size_t j = i;
    while (j < line.size() && !std::isspace(static_cast<unsigned char>(line[j]))) ++j;
    out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::string PublicKey::base64() const { return base64_encode(blob); }

std::string PublicKey::to_line() const {
  std::string s = type + " " + base64();
  if (!comment.empty()) s += " " + comment;
  return s;
}

std::optional<PublicKey> parse_public_key(std::string_view line) {
  auto f = split_ws(line, 3);
  if (f.size() < 2) return std::nullopt;
  auto blob = base64_decode(f[1]);
  if (!blob) return std::nullopt;
  auto t = blob_type(*blob);
  if (!t || *t != f[0]) return std::nullopt;
  return PublicKey{f[0], *blob, f.size() > 2 ? f[2] : ""};
}

std::string fingerprint_sha256(std::string_view blob) {
  auto d = sha256(blob);
  return "SHA256:" + base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()),
                                   false);
}

void generate_ed25519(const fs::path& path, const std::string& comment) {
  fs::path pub = path.string() + ".pub";
  std::error_code ec;
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  if (fs::exists(path) && fs::exists(pub)) {
    log::debug("ssh", "key pair {} exists, kept", path.string());
    return;
  }
  if (fs::exists(path)) {
    log::debug("ssh", "re-deriving {} from its private key", pub.string());
    auto r = run_tool("ssh-keygen", {"-y", "-f", path.string()});
    if (r.exit_code != 0)
      throw SshError("cannot read private key {}: ssh-keygen: {}", path.string(), trim(r.err));
    std::ofstream(pub) << trim(r.out) << (comment.empty() ? "" : " " + comment) << "\n";
  } else {
    fs::remove(pub, ec);
    auto r = run_tool("ssh-keygen",
                      {"-t", "ed25519", "-N", "", "-C", comment, "-f", path.string(), "-q"});
    if (r.exit_code != 0 || !fs::exists(path))
      throw SshError("cannot create key pair {}: ssh-keygen: {}", path.string(),
                     trim(r.err.empty() ? r.out : r.err));
  }
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write, ec);
  fs::permissions(pub,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  ec);
}

std::string read_public_key(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw SshError("cannot read public key {}: file missing or unreadable", path.string());
  std::string line;
  std::getline(in, line);
  line = trim(line);
  if (!parse_public_key(line))
    throw SshError("cannot read public key {}: not an OpenSSH public key", path.string());
  return line;
}

std::string known_hosts_name(const std::string& host, int port) {
  if (port == 22) return host;
  return "[" + host + "]:" + std::to_string(port);
}

std::vector<KnownHost> read_known_hosts(const fs::path& path) {
  std::vector<KnownHost> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == '@' || line[0] == '|') continue;
    auto f = split_ws(line, 2);
    if (f.size() < 2) continue;
    auto key = parse_public_key(f[1]);
    if (!key) continue;
    KnownHost kh;
    std::stringstream names(f[0]);
    for (std::string n; std::getline(names, n, ',');)
      if (!n.empty()) kh.names.push_back(n);
    kh.key = *key;
    out.push_back(std::move(kh));
  }
  return out;
}

void write_known_hosts(const fs::path& path, const std::vector<KnownHost>& entries) {
  std::error_code ec;
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path(), ec);
  fs::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& e : entries) {
      std::string names;
      for (const auto& n : e.names) names += (names.empty() ? "" : ",") + n;
      out << names << " " << e.key.type << " " << e.key.base64() << "\n";
    }
    if (!out.flush()) throw SshError("cannot write {}: write failed", tmp.string());
  }
  ::chmod(tmp.c_str(), 0644);
  fs::rename(tmp, path, ec);
  if (ec) throw SshError("cannot write {}: {}", path.string(), ec.message());
}

std::vector<KnownHost> upsert_known_host(std::vector<KnownHost> entries, const KnownHost& entry) {
  auto shares_name = [&](const KnownHost& e) {
    for (const auto& n : e.names)
      if (std::find(entry.names.begin(), entry.names.end(), n) != entry.names.end()) return true;
    return false;
  };
  entries.erase(std::remove_if(entries.begin(), entries.end(), shares_name), entries.end());
  entries.push_back(entry);
  return entries;
}

std::optional<PublicKey> find_known_host(const std::vector<KnownHost>& entries,
                                         const std::string& name) {
  for (const auto& e : entries)
    if (std::find(e.names.begin(), e.names.end(), name) != e.names.end()) return e.key;
  return std::nullopt;
}

const char* host_key_type_name(int t) {
  switch (t) {
    case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
    case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
    case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
    case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
    default: return "unknown";
  }
}

bool host_key_matches(std::string_view pinned, std::string_view blob, int libssh2_type) {
  auto key = parse_public_key(pinned);
  if (!key) return false;
  return key->type == host_key_type_name(libssh2_type) && key->blob == blob;
}

}  // namespace vmlab::communicator
