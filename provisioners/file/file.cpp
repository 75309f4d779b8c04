#include "provisioners/file/file.hpp"

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/file/file_spec.hpp"
#include "provisioners/file/tree_copy.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::shell_quote;

ProbeResult FileProvisioner::probe(Context& ctx) {
  const auto& step = ctx.step.as<FileSettings>();
  std::error_code ec;
  if (!fs::exists(step.source, ec))
    throw Error("{}: source {} does not exist", step_title(ctx), step.source.string());
  const auto remote = remote_digests(ctx.remote, step.destination,
                                     fs::is_directory(step.source, ec), step.privileged);
  if (!remote) return ProbeResult::Unknown;
  if (!changed_files(local_digests(step.source), *remote).empty()) return ProbeResult::Absent;
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
