#include "executor/ci.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

#include "communicator/local_command.hpp"
#include "core/error.hpp"
#include "executor/access.hpp"
#include "executor/cancel.hpp"
#include "executor/ci_record.hpp"
#include "executor/lab_ops.hpp"
#include "executor/parallel.hpp"
#include "executor/views.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

namespace vmlab::executor {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string shown_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    out += (out.empty() ? "" : " ") + (plain ? a : "'" + a + "'");
  }
  return out;
}

void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  state::write_file_atomic(p, text, 0644);
}

// The last system log lines of a node that is reachable: the journal where there is one,
// the kernel ring buffer otherwise (the tiny box has no journal).
constexpr const char* kSystemLogCommand =
    "journalctl -b --no-pager -n 300 2>/dev/null || dmesg 2>/dev/null | tail -n 300 || "
    "sudo -n dmesg | tail -n 300";

class CiRun {
 public:
  CiRun(lab::Lab& lab, const CiOptions& o, Reporter& rep, const ConnectFn& connect)
      : lab_(lab), o_(o), rep_(rep), connect_(connect), record_(o.artifacts, lab.topo) {}

  int run() {
    rep_.set_tap([this](const std::string& line) { record_.on_event(line); });
    rep_.note("ci-start",
              fmt::format("ci: lab {} ({} nodes), artifacts in {}", lab_.topo.name,
                          lab_.topo.nodes.size(), o_.artifacts.string()),
              {{"artifacts", o_.artifacts.string()}, {"lab_id", lab_.lab_id}});
    const bool up_ok = bring_up();
    int status = -1;
    if (up_ok && !cancelled()) status = run_command();
    record_.command_result(shown_command(o_.command), status, command_seconds_, status >= 0);
    const bool failed = !up_ok || status != 0;
    if (!hard_abort()) collect(failed);
    write_junit();
    bool torn_down = false, teardown_ok = true;
    if (o_.keep_on_failure && failed && !cancelled()) {
      keep();
    } else {
      teardown_ok = teardown();
      torn_down = true;
    }
    const int code = exit_code(up_ok, status, teardown_ok);
    rep_.note("ci-done",
              fmt::format("ci: {} (exit {}){}; artifacts in {}", verdict(up_ok, status), code,
                          torn_down ? (teardown_ok ? ", lab destroyed" : ", TEARDOWN FAILED")
                                    : ", lab kept",
                          o_.artifacts.string()),
              {{"exit_code", std::to_string(code)},
               {"lab_destroyed", torn_down && teardown_ok ? "true" : "false"}});
    rep_.set_tap({});
    return code;
  }

 private:
  bool bring_up() {
    try {
      LockedLab locked(lab_);
      UpOptions uo;
      uo.provision = o_.provision;
      if (up(lab_, uo, rep_, connect_)) return true;
      up_error_ = "some nodes failed (see the summary above)";
    } catch (const Interrupted&) {
      up_error_ = "interrupted";
    } catch (const std::exception& e) {
      up_error_ = e.what();
      rep_.note("ci-up-failed", fmt::format("ci: up failed: {}", e.what()));
    }
    return false;
  }

  std::map<std::string, std::string> command_env() {
    auto eps = running_endpoints(lab_);
    const fs::path cfg = write_ssh_config(lab_, eps);
    const fs::path inv = filenames::inventory(lab_.topo.project_dir);
    state::write_file_atomic(inv, inventory_text(lab_, eps, cfg), 0600);
    std::map<std::string, std::string> env{
        {"VMLAB_LAB", lab_.topo.name},
        {"VMLAB_LAB_ID", lab_.lab_id},
        {"VMLAB_PROJECT_DIR", fs::absolute(lab_.topo.project_dir).string()},
        {"VMLAB_SSH_CONFIG", fs::absolute(cfg).string()},
        {"VMLAB_INVENTORY", fs::absolute(inv).string()},
        {"VMLAB_ARTIFACTS", fs::absolute(o_.artifacts).string()},
    };
    const fs::path kube = filenames::kubeconfig(lab_.topo.project_dir);
    if (fs::exists(kube)) env["KUBECONFIG"] = fs::absolute(kube).string();
    return env;
  }

  int run_command() {
    communicator::LocalCommand cmd;
    cmd.argv = o_.command;
    try {
      cmd.env = command_env();
    } catch (const std::exception& e) {
      up_error_ = fmt::format("cannot write the lab's ssh config and inventory: {}", e.what());
      rep_.note("ci-up-failed", "ci: " + up_error_);
      return -1;
    }
    std::string vars;
    for (const auto& [k, v] : cmd.env) vars += (vars.empty() ? "" : " ") + k;
    rep_.note("command-start",
              fmt::format("ci: running {} (with {})", shown_command(o_.command), vars),
              {{"command", shown_command(o_.command)}});
    const bool json = rep_.mode() == OutputMode::Json;
    cmd.on_line = [&](std::string_view line, bool is_stderr) {
      record_.command_line(line, is_stderr);
      if (json) {
        rep_.output("", std::string(line), is_stderr);
      } else {
        std::FILE* f = is_stderr ? stderr : stdout;
        std::fwrite(line.data(), 1, line.size(), f);
        std::fputc('\n', f);
        std::fflush(f);
      }
    };
    // A signal to vmlab is passed on to the command's process group once (the signal that
    // came: the command may clean up); a second one kills it (the handler does that).
    bool passed_on = false;
    cmd.poll = [&]() -> int {
      if (!cancelled() || passed_on) return 0;
      passed_on = true;
      return cancel_signal() ? cancel_signal() : SIGTERM;
    };
    const auto t0 = Clock::now();
    const int status = communicator::run_local(cmd);
    command_seconds_ = since(t0);
    rep_.note("command-exit",
              fmt::format("ci: the command exited with status {} after {:.1f}s", status,
                          command_seconds_),
              {{"exit_code", std::to_string(status)}});
    return status;
  }

  void collect(bool failed) {
    rep_.note("ci-artifacts", "ci: collecting artifacts");
    try {
      auto nodes = node_status(lab_);
      write_text(o_.artifacts / "status.json", status_json(lab_, nodes).dump(2) + "\n");
      std::vector<std::string> running;
      for (const auto& n : nodes) {
        if (n.machine == providers::MachineState::NotCreated) continue;
        const std::string tail = lab_.provider->console_tail(lab_.ref(n.name), 1000000);
        if (!tail.empty()) write_text(o_.artifacts / "console" / (n.name + ".log"), tail);
        if (n.machine == providers::MachineState::Running) running.push_back(n.name);
      }
      if (failed) system_logs(running);
    } catch (const std::exception& e) {
      rep_.warning("", fmt::format("ci: collecting artifacts: {}", e.what()));
    }
  }

  void system_logs(const std::vector<std::string>& nodes) {
    auto eps = running_endpoints(lab_);
    parallel_for(nodes, default_parallelism(), [&](const std::string& name) {
      auto ep = eps.find(name);
      const config::Node* node = lab_.topo.find_node(name);
      if (ep == eps.end() || !node) return;
      std::string text;
      try {
        auto session = connect_(ssh_target(lab_, *node, ep->second),
                                Clock::now() + std::chrono::seconds(20), [] {
                                  if (hard_abort()) throw Interrupted();
                                });
        communicator::ExecOptions eo;
        eo.timeout = std::chrono::seconds(30);
        eo.on_stdout_line = [&](std::string_view l) { text.append(l).push_back('\n'); };
        eo.on_stderr_line = eo.on_stdout_line;
        session->exec(kSystemLogCommand, eo);
      } catch (const std::exception& e) {
        text += fmt::format("(vmlab ci: could not read the system log: {})\n", e.what());
      }
      write_text(o_.artifacts / "system" / (name + ".log"), text);
    });
  }

  void write_junit() {
    const auto rec = lab_.store->get();
    auto done_before = [&rec](const std::string& node, const std::string& step) {
      auto m = rec.machines.find(node);
      return m != rec.machines.end() && m->second.steps.count(step) > 0;
    };
    try {
      write_text(o_.artifacts / "junit.xml",
                 junit_xml("vmlab ci " + lab_.topo.name, record_.cases(done_before)));
    } catch (const std::exception& e) {
      rep_.warning("", fmt::format("ci: writing junit.xml: {}", e.what()));
    }
  }

  void keep() {
    const std::string f = o_.vmfile.empty() ? "" : " -f " + o_.vmfile;
    rep_.note(
        "ci-kept",
        fmt::format("ci: --keep-on-failure: the lab is left up. Reach it with "
                    "`vmlab{} ssh NODE` (or `ssh -F {} NODE`); remove it with "
                    "`vmlab{} destroy -f`",
                    f, fs::absolute(filenames::ssh_config(lab_.topo.project_dir)).string(), f));
  }

  bool teardown() {
    try {
      LockedLab locked(lab_);
      return destroy(lab_, rep_);
    } catch (const std::exception& e) {
      rep_.warning("", fmt::format("ci: teardown failed: {} (run `vmlab destroy -f`)", e.what()));
      return false;
    }
  }

  std::string verdict(bool up_ok, int status) const {
    if (cancelled() && (status < 0 || cancel_signal()))
      return cancel_signal() == SIGTERM ? "terminated" : "interrupted";
    if (!up_ok) return "the lab did not come up: " + up_error_;
    return status == 0 ? "passed" : "the command failed";
  }

  int exit_code(bool up_ok, int status, bool teardown_ok) const {
    if (cancelled()) return 128 + (cancel_signal() ? cancel_signal() : SIGINT);
    if (!up_ok || status < 0) return kCiLabFailed;
    if (status != 0) return status;  // a teardown failure never hides the command's
    return teardown_ok ? 0 : kCiTeardownFailed;
  }

  lab::Lab& lab_;
  const CiOptions& o_;
  Reporter& rep_;
  const ConnectFn& connect_;
  CiRecord record_;
  std::string up_error_;
  double command_seconds_ = 0;
};

}  // namespace

std::string ci_run_name() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return fmt::format("{}-{}", buf, ::getpid());
}

int run_ci(lab::Lab& lab, const CiOptions& opts, Reporter& rep, const ConnectFn& connect) {
  set_abort_policy(AbortPolicy::Escalate);
  install_cancel_handlers();
  CiRun run(lab, opts, rep, connect);
  return run.run();
}

}  // namespace vmlab::executor
