#pragma once
// `type = "shell"`: runs an inline script or a script file on the guest.
// apply(): writes the script to /tmp/vmlab-<step>-<hash12>.sh (mode 0700), runs it with the
// step's args (each shell-quoted) and env, through sudo when `privileged`, streams its output,
// removes it, and fails on a non-zero exit status. A script whose command line fits
// (kInlineScriptMax) travels inside that one command (written with printf, run, removed: one
// SSH channel); a longer one is uploaded over SFTP first. probe() is always Unknown: a
// script's effect cannot be known; re-running is decided by the executor's run policy.
#include <string>

#include "provisioners/provisioner.hpp"

namespace vmlab::provisioners {

class ShellProvisioner final : public Provisioner {
 public:
  ProbeResult probe(Context& ctx) override;
  void apply(Context& ctx) override;
};

// The script text for a step (inline text, or the file at step.path). Throws Error when the
// file cannot be read.
std::string shell_script_text(const Context& ctx);
// "/tmp/vmlab-<step name, sanitised>-<first 12 hex of sha256(script)>.sh"
std::string shell_remote_path(const std::string& step_name, const std::string& script);
// The command line that runs the uploaded script: "'<path>' 'arg1' 'arg2'".
std::string shell_command(const std::string& remote_path, const std::vector<std::string>& args);
// One command that writes `script` to `remote_path` (0700), runs it with `args`, removes it
// and exits with its status.
std::string shell_inline_command(const std::string& remote_path, const std::string& script,
                                 const std::vector<std::string>& args);
// The longest command line (bytes, as sent) that carries a script inline: below Linux's
// 128 KiB limit for one argument (sshd passes the command as `$SHELL -c CMD`).
inline constexpr size_t kInlineScriptMax = 100000;

}  // namespace vmlab::provisioners
