#include "provisioners/file/file.hpp"

#include <sstream>

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/file/file_spec.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::shell_quote;

std::map<std::string, std::string> local_digests(const fs::path& source) {
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
  for (const auto& e : fs::recursive_directory_iterator(source))
    if (e.is_regular_file()) out["./" + fs::relative(e.path(), source).generic_string()] = hash(e.path());
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

ProbeResult FileProvisioner::probe(Context& ctx) {
  const auto& step = ctx.step.as<FileSettings>();
  std::error_code ec;
  if (!fs::exists(step.source, ec))
    throw Error("{}: source {} does not exist", step_title(ctx), step.source.string());
  bool dir = fs::is_directory(step.source, ec);
  const std::string dest = shell_quote(step.destination);
  std::string cmd =
      dir ? "command -v sha256sum >/dev/null || exit 127; cd " + dest +
                " 2>/dev/null || exit 0; find . -type f -exec sha256sum {} + 2>/dev/null; exit 0"
          : "command -v sha256sum >/dev/null || exit 127; if [ -f " + dest + " ]; then sha256sum < " +
                dest + " | sed 's|-$|.|'; fi; exit 0";
  std::string text;
  communicator::ExecOptions o;
  o.sudo = step.privileged;
  o.on_stdout_line = [&](std::string_view l) { text.append(l).append("\n"); };
  int status = ctx.remote.exec(cmd, o);
  if (status == 127) return ProbeResult::Unknown;
  if (status != 0) return ProbeResult::Unknown;
  auto remote = parse_sha256sum(text);
  for (const auto& [path, hash] : local_digests(step.source)) {
    auto it = remote.find(path);
    if (it == remote.end() || it->second != hash) return ProbeResult::Absent;
  }
  return ProbeResult::Present;
}

void FileProvisioner::apply(Context& ctx) {
  const auto& step = ctx.step.as<FileSettings>();
  const std::string& user = ctx.remote.target().user;
  if (!step.privileged || user == "root") {
    ctx.remote.upload(step.source, step.destination);
    return;
  }
  // Staged: the login user may not write the destination; sudo moves it into place.
  const std::string stage =
      "/tmp/vmlab-file-" + communicator::to_hex(communicator::sha256(step.destination)).substr(0, 12);
  ctx.remote.exec("rm -rf " + shell_quote(stage), {});
  ctx.remote.upload(step.source, stage);
  auto o = ctx.exec_options();
  o.sudo = true;
  const std::string dest = shell_quote(step.destination);
  int status = ctx.remote.exec("mkdir -p \"$(dirname " + dest + ")\" && rm -rf " + dest + " && mv " +
                                   shell_quote(stage) + " " + dest,
                               o);
  if (status != 0)
    throw Error("{}: cannot move the upload into {} (exit status {})", step_title(ctx),
                step.destination, status);
}

}  // namespace vmlab::provisioners
