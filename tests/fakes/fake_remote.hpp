#pragma once
// An in-process Remote for unit tests of the executor and provisioners. Every node's remote
// shares one FakeGuests: uploads are kept as (node, path) -> content, and a command that
// runs an uploaded script ("'/tmp/x.sh' args...", what the shell provisioner sends) is
// "executed" by `run` (default: exit 1 if the script contains "exit 1", else 0). Other
// commands (cleanup, the guest-init wait, the address listing) succeed, printing what
// `answer` returns (default: nothing). Thread-safe.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "communicator/remote.hpp"
#include "core/error.hpp"

namespace vmlab::test {

struct FakeGuests {
  std::mutex mu;
  std::map<std::pair<std::string, std::string>, std::string> files;  // (node, path) -> content
  std::vector<std::pair<std::string, std::string>> ran;              // (node, script), in order
  // Decides a script's exit status; runs on the executor's thread, outside the lock.
  std::function<int(const std::string& node, const std::string& script)> run =
      [](const std::string&, const std::string& script) {
        return script.find("exit 1") != std::string::npos ? 1 : 0;
      };

  // Stdout of a command that is not an uploaded script; runs outside the lock.
  std::function<std::string(const std::string& node, const std::string& cmd)> answer;

  std::vector<std::string> scripts_of(const std::string& node) {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& [n, s] : ran)
      if (n == node) out.push_back(s);
    return out;
  }
  size_t position(const std::string& node, const std::string& script) {
    std::lock_guard lock(mu);
    for (size_t i = 0; i < ran.size(); ++i)
      if (ran[i].first == node && ran[i].second == script) return i;
    return std::string::npos;
  }
};

class FakeRemote final : public communicator::Remote {
 public:
  FakeRemote(communicator::SshTarget t, FakeGuests& g) : target_(std::move(t)), g_(g) {}

  int exec(const std::string& wire, const communicator::ExecOptions& opts) override {
    std::string cmd = wire;
    // The shell provisioner's one-command form carries the script (printf %s '<script>' > f)
    // and is shown as the plain "'/tmp/x.sh' args..." run: keep the script as an upload.
    if (const auto at = wire.find("printf %s '");
        at != std::string::npos && opts.shown_as.rfind("'/", 0) == 0) {
      std::string script;
      size_t i = at + 10;  // at the opening quote
      for (;;) {
        const size_t end = wire.find('\'', i + 1);
        script += wire.substr(i + 1, end - i - 1);
        i = end + 1;
        if (wire.compare(i, 3, "\\''") != 0) break;
        script += '\'';
        i += 2;
      }
      cmd = opts.shown_as;
      std::lock_guard lock(g_.mu);
      g_.files[{target_.label, cmd.substr(1, cmd.find('\'', 1) - 1)}] = script;
    }
    if (cmd.rfind("'/", 0) != 0) {
      if (g_.answer && opts.on_stdout_line) {
        const std::string out = g_.answer(target_.label, cmd);
        for (size_t at = 0; at < out.size();) {
          size_t nl = out.find('\n', at);
          if (nl == std::string::npos) nl = out.size();
          opts.on_stdout_line(std::string_view(out).substr(at, nl - at));
          at = nl + 1;
        }
      }
      return 0;
    }
    const std::string path = cmd.substr(1, cmd.find('\'', 1) - 1);
    std::string script;
    {
      std::lock_guard lock(g_.mu);
      script = g_.files[{target_.label, path}];
      g_.ran.emplace_back(target_.label, script);
    }
    if (opts.on_stdout_line) opts.on_stdout_line("ran " + path);
    return g_.run(target_.label, script);
  }

  void upload(const std::filesystem::path& local, const std::string& remote,
              std::optional<int>) override {
    std::ifstream in(local, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::lock_guard lock(g_.mu);
    g_.files[{target_.label, remote}] = ss.str();
  }

  void download(const std::string& remote, const std::filesystem::path& local, int) override {
    std::lock_guard lock(g_.mu);
    auto it = g_.files.find({target_.label, remote});
    if (it == g_.files.end()) throw SshError("no such file " + remote);
    std::ofstream(local, std::ios::binary) << it->second;
  }

  const communicator::SshTarget& target() const override { return target_; }

 private:
  communicator::SshTarget target_;
  FakeGuests& g_;
};

}  // namespace vmlab::test
