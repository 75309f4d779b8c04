// vmlab: one binary, many names. `vmup` == `vmlab up`, `vmssh` == `vmlab ssh`, ...
// The only top-level catch: prints "vmlab: error: ..." and picks the exit code.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/program.hpp"
#include "config/load.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

int main(int argc, char** argv) {
  // A write to a peer that went away must be an error, not death by SIGPIPE: libvirt's RPC
  // socket when libvirtd is restarted (libvirt asks its clients to ignore SIGPIPE; found by
  // the fault campaign: `vmup` exited 141 without a word). Children get it back by default
  // (communicator/local_command.cpp, the forwarder, `vmssh`'s exec of ssh).
  std::signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  const std::string implied = vmlab::cli::command_for_name(argc > 0 ? argv[0] : "vmlab");
  if (!implied.empty()) args.insert(args.begin(), implied);

  CLI::App app;
  vmlab::cli::GlobalOptions g;
  if (auto dd = std::find(args.begin(), args.end(), "--"); dd != args.end()) {
    g.after_dashes.assign(dd + 1, args.end());
    args.erase(dd, args.end());
  }
  vmlab::cli::setup_app(app, g);

  try {
    std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector
    app.parse(args);
    return g.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "vmlab: error: {}\nRun 'vmlab --help' for usage.\n", e.what());
    return static_cast<int>(vmlab::ExitCode::Usage);
  } catch (const vmlab::config::ConfigError& e) {
    // Vmfile problems: the diagnostics themselves, one per line, then one summary line.
    fmt::print(stderr, "{}\nvmlab: error: {}\n", e.what(), e.summary());
    return static_cast<int>(e.code());
  } catch (const vmlab::Error& e) {
    fmt::print(stderr, "vmlab: error: {}\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    fmt::print(stderr, "vmlab: error: internal: {}\n", e.what());
    return static_cast<int>(vmlab::ExitCode::Failure);
  }
}
