#include "provisioners/file/tree_copy.hpp"

#include <sstream>

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::shell_quote;

std::map<std::string, std::string> local_digests(const fs::path& source,
                                                 const std::set<std::string>& skip_top) {
  std::map<std::string, std::string> out;
  auto hash = [&](const fs::path& p) {
    auto h = communicator::sha256_file_hex(p);
    if (!h) throw Error("cannot read {}", p.string());
    return *h;
  };
  if (!fs::is_directory(source)) {
    out["."] = hash(source);
    return out;
  }
  for (auto it = fs::recursive_directory_iterator(source); it != fs::recursive_directory_iterator();
       ++it) {
    if (it.depth() == 0 && skip_top.count(it->path().filename().string())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file())
      out["./" + fs::relative(it->path(), source).generic_string()] = hash(it->path());
  }
  return out;
}

std::map<std::string, std::string> parse_sha256sum(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() < 67 || line[64] != ' ') continue;
    std::size_t name_at = (line[65] == ' ' || line[65] == '*') ? 66 : 65;
    out[line.substr(name_at)] = line.substr(0, 64);
  }
  return out;
}

std::optional<std::map<std::string, std::string>> remote_digests(communicator::Remote& remote,
                                                                 const std::string& dest, bool dir,
                                                                 bool sudo) {
  const std::string q = shell_quote(dest);
  const std::string cmd =
      dir ? "command -v sha256sum >/dev/null || exit 127; cd " + q +
                " 2>/dev/null || exit 0; find . -type f -exec sha256sum {} + 2>/dev/null; exit 0"
          : "command -v sha256sum >/dev/null || exit 127; if [ -f " + q + " ]; then sha256sum < " +
                q + " | sed 's|-$|.|'; fi; exit 0";
  std::string text;
  communicator::ExecOptions o;
  o.sudo = sudo;
  o.on_stdout_line = [&](std::string_view l) { text.append(l).append("\n"); };
  if (remote.exec(cmd, o) != 0) return std::nullopt;
  return parse_sha256sum(text);
}

std::vector<std::string> changed_files(const std::map<std::string, std::string>& local,
                                       const std::map<std::string, std::string>& remote) {
  std::vector<std::string> out;
  for (const auto& [path, hash] : local) {
    auto it = remote.find(path);
    if (it == remote.end() || it->second != hash) out.push_back(path);
  }
  return out;
}

CopyResult copy_changed(communicator::Remote& remote, const fs::path& source,
                        const std::string& dest, const std::set<std::string>& skip_top) {
  const auto local = local_digests(source, skip_top);
  const auto there = remote_digests(remote, dest, true, false);
  const auto send = there ? changed_files(local, *there) : [&] {
    std::vector<std::string> all;
    for (const auto& [path, hash] : local) all.push_back(path);
    return all;
  }();
  CopyResult r;
  r.unchanged = local.size() - send.size();
  for (const std::string& rel : send) {
    const fs::path file = source / rel.substr(2);  // "./a/b" -> a/b
    remote.upload(file, dest + rel.substr(1));
    ++r.sent;
    std::error_code ec;
    r.bytes += fs::file_size(file, ec);
  }
  return r;
}

}  // namespace vmlab::provisioners
