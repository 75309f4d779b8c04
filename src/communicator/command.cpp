#include "communicator/command.hpp"

#include <cctype>

#include "core/error.hpp"

namespace vmlab::communicator {
namespace {

bool is_identifier(const std::string& k) {
  if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

std::string build(const std::string& cmd, const ExecOptions& opts, const std::string& user,
                  bool redact) {
  std::string out;
  for (const auto& [k, v] : opts.env) {
    if (!is_identifier(k))
      throw SshError("invalid environment variable name '{}': use letters, digits and _", k);
    bool hide = redact && opts.secret_env.count(k) > 0;
    out += "export " + k + "=" + (hide ? std::string("'***'") : shell_quote(v)) + "; ";
  }
  std::string body = (redact && opts.secret)              ? std::string("<secret command>")
                     : (redact && !opts.shown_as.empty()) ? opts.shown_as
                                                          : cmd;
  if (opts.sudo && user != "root")
    out += "sudo -n -E -- sh -c " + ((redact && opts.secret) ? body : shell_quote(body));
  else
    out += body;
  return out;
}

}  // namespace

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string compose_command(const std::string& cmd, const ExecOptions& opts,
                            const std::string& user) {
  return build(cmd, opts, user, false);
}

std::string display_command(const std::string& cmd, const ExecOptions& opts,
                            const std::string& user) {
  return build(cmd, opts, user, true);
}

void LineSplitter::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (c == '\n') {
      if (!pending_.empty() && pending_.back() == '\r') pending_.pop_back();
      if (fn_) fn_(pending_);
      pending_.clear();
    } else {
      pending_ += c;
    }
  }
}

void LineSplitter::flush() {
  if (pending_.empty()) return;
  if (fn_) fn_(pending_);
  pending_.clear();
}

}  // namespace vmlab::communicator
