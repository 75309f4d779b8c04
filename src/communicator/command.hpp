#pragma once
// Building the remote command line: env export prefix, sudo wrapping, quoting, and the
// redacted form that logs and errors show. Pure functions (unit tested).
#include <string>
#include <string_view>

#include "communicator/remote.hpp"

namespace vmlab::communicator {

// POSIX single-quote quoting: abc -> 'abc', it's -> 'it'\''s'.
std::string shell_quote(std::string_view s);

// The command sent over the channel:
//   [export K1='V1'; export K2='V2'; ](sudo -n -E -- sh -c '<cmd>' | <cmd>)
// sudo wrapping is skipped when `user` is "root". Env keys must be shell identifiers
// (throws SshError otherwise).
std::string compose_command(const std::string& cmd, const ExecOptions& opts,
                            const std::string& user);

// The same line for logs: secret command -> "<secret command>", secret env values -> '***'.
std::string display_command(const std::string& cmd, const ExecOptions& opts,
                            const std::string& user);

// Splits a byte stream into lines ('\n', a trailing '\r' removed) and hands each to `fn`.
class LineSplitter {
 public:
  explicit LineSplitter(LineFn fn) : fn_(std::move(fn)) {}
  void feed(std::string_view bytes);
  void flush();  // delivers an unterminated last line, if any

 private:
  LineFn fn_;
  std::string pending_;
};

}  // namespace vmlab::communicator
