#include "provisioners/shell/shell.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/shell/shell_spec.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
std::string shell_script_text(const Context& ctx) {
  const auto& s = ctx.step.as<ShellSettings>();
  if (s.path.empty()) return s.inline_script;
  std::ifstream in(s.path, std::ios::binary);
  if (!in) throw Error("{}: cannot read script {}", step_title(ctx), s.path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string shell_remote_path(const std::string& step_name, const std::string& script) {
  std::string safe;
  for (char c : step_name)
    safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  return "/tmp/vmlab-" + safe + "-" + communicator::to_hex(communicator::sha256(script)).substr(0, 12) +
         ".sh";
}

std::string shell_command(const std::string& remote_path, const std::vector<std::string>& args) {
  std::string cmd = communicator::shell_quote(remote_path);
  for (const auto& a : args) cmd += " " + communicator::shell_quote(a);
  return cmd;
}

std::string shell_inline_command(const std::string& remote_path, const std::string& script,
                                 const std::vector<std::string>& args) {
  const std::string f = communicator::shell_quote(remote_path);
  // rm first: a stale file of another run is replaced, not written through.
  return fmt::format(
      "rm -f {0}; (umask 077; printf %s {1} > {0}) && chmod 0700 {0} && {2}; "
      "rc=$?; rm -f {0}; exit $rc",
      f, communicator::shell_quote(script), shell_command(remote_path, args));
}

ProbeResult ShellProvisioner::probe(Context&) { return ProbeResult::Unknown; }

void ShellProvisioner::apply(Context& ctx) {
  const std::string script = shell_script_text(ctx);
  const std::string remote = shell_remote_path(ctx.step.name, script);
  const auto& s = ctx.step.as<ShellSettings>();
  auto opts = ctx.exec_options();
  opts.env = s.env;
  opts.sudo = s.privileged;
  int status = 0;
  const std::string run = shell_command(remote, s.args);
  const std::string one = shell_inline_command(remote, script, s.args);
  if (communicator::compose_command(one, opts, ctx.remote.target().user).size() <=
      kInlineScriptMax) {
    // One channel instead of an SFTP session, the run and a removal: under TCG each of those
    // is a process start in the guest (sftp-server, a shell), a second or so.
    opts.shown_as = run;
    status = ctx.remote.exec(one, opts);
  } else {
    {
      const TempFile local(script, "vmlab-script");
      ctx.remote.upload(local.path(), remote, 0700);
    }
    status = ctx.remote.exec(run, opts);
    ctx.remote.exec("rm -f " + communicator::shell_quote(remote), {});
  }
  if (status != 0) throw Error("{}: script exited with status {}", step_title(ctx), status);
}

}  // namespace vmlab::provisioners
