#include "executor/forwards.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "config/ip.hpp"
#include "core/error.hpp"
#include "core/host_probe.hpp"
#include "core/log.hpp"
#include "executor/forwards_files.hpp"
#include "state/filenames.hpp"
#include "state/state.hpp"

extern char** environ;

namespace vmlab::executor {
namespace fs = std::filesystem;
using nlohmann::json;

namespace forward_files {

fs::path rules_file(const fs::path& project) {
  return filenames::state_dir(project) / "forwards.json";
}
fs::path pid_file(const fs::path& project) {
  return filenames::state_dir(project) / "forwarder.pid";
}

std::vector<ForwardRule> read_rules(const fs::path& project) {
  std::vector<ForwardRule> out;
  auto text = host::read_text(rules_file(project));
  if (!text) return out;
  json j = json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains("forwards") || !j["forwards"].is_array()) return out;
  for (const auto& r : j["forwards"]) {
    try {
      out.push_back({r.at("node").get<std::string>(), r.at("protocol").get<std::string>(),
                     r.at("bind_ip").get<std::string>(), r.at("bind_port").get<int>(),
                     r.at("target_ip").get<std::string>(), r.at("target_port").get<int>()});
    } catch (const json::exception&) {
      return {};
    }
  }
  return out;
}

}  // namespace forward_files

using forward_files::pid_file;
using forward_files::read_rules;
using forward_files::rules_file;

namespace {

constexpr const char* kForwarderArg = "__forwarder";

fs::path log_file(const fs::path& project) {
  return filenames::logs_dir(project) / "forwarder.log";
}

std::vector<std::string> cmdline(pid_t pid) {
  std::vector<std::string> out;
  auto text = host::read_text(fmt::format("/proc/{}/cmdline", pid));
  if (!text) return out;
  std::string cur;
  for (char c : *text) {
    if (c == '\0') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// argv of a forwarder: vmlab __forwarder LAB_ID PROJECT
bool is_forwarder(const std::vector<std::string>& argv) {
  return argv.size() == 4 && argv[1] == kForwarderArg;
}
bool is_forwarder_of(const std::vector<std::string>& argv, const fs::path& project) {
  return is_forwarder(argv) && fs::path(argv[3]) == project;
}

json to_json(const std::vector<ForwardRule>& rules) {
  json a = json::array();
  for (const auto& r : rules)
    a.push_back({{"node", r.node},
                 {"protocol", r.protocol},
                 {"bind_ip", r.bind_ip},
                 {"bind_port", r.bind_port},
                 {"target_ip", r.target_ip},
                 {"target_port", r.target_port}});
  return {{"forwards", a}};
}

bool alive(pid_t pid) {
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

struct Holder {
  pid_t pid = 0;
  std::vector<std::string> argv;
};

// The process holding a socket on `port` (listening TCP, bound UDP) in this network
// namespace, from /proc/net and the processes' fds.
std::optional<Holder> find_holder(int port, const std::string& protocol) {
  std::set<std::string> inodes;
  for (const char* v : {"", "6"}) {
    auto text = host::read_text(fmt::format("/proc/net/{}{}", protocol, v));
    if (!text) continue;
    std::istringstream in(*text);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string sl, local, remote, st, txrx, trtm, retr, uid, timeout, inode;
      if (!(w >> sl >> local >> remote >> st >> txrx >> trtm >> retr >> uid >> timeout >> inode))
        continue;
      auto colon = local.rfind(':');
      if (colon == std::string::npos) continue;
      if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
      if (protocol == "tcp" && st != "0A") continue;  // LISTEN
      if (inode != "0") inodes.insert("socket:[" + inode + "]");
    }
  }
  if (inodes.empty()) return std::nullopt;
  DIR* proc = ::opendir("/proc");
  if (!proc) return std::nullopt;
  std::optional<Holder> found;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string fddir = fmt::format("/proc/{}/fd", e->d_name);
    DIR* fds = ::opendir(fddir.c_str());
    if (!fds) continue;
    while (dirent* f = ::readdir(fds)) {
      char target[128];
      const std::string link = fddir + "/" + f->d_name;
      ssize_t n = ::readlink(link.c_str(), target, sizeof target - 1);
      if (n <= 0) continue;
      target[n] = '\0';
      if (inodes.count(target)) {
        pid_t pid = static_cast<pid_t>(std::stol(e->d_name));
        found = Holder{pid, cmdline(pid)};
        break;
      }
    }
    ::closedir(fds);
    if (found) break;
  }
  ::closedir(proc);
  return found;
}

std::string describe_holder(const Holder& h) {
  if (is_forwarder(h.argv))
    return fmt::format("vmlab's port forwarder of lab {} (project {}), process {}", h.argv[2],
                       h.argv[3], h.pid);
  std::string cmd;
  for (const auto& a : h.argv) cmd += (cmd.empty() ? "" : " ") + a;
  if (cmd.size() > 80) cmd = cmd.substr(0, 77) + "...";
  return fmt::format("process {} ({})", h.pid, cmd.empty() ? "?" : cmd);
}

void kill_and_wait(pid_t pid) {
  if (::kill(pid, SIGTERM) != 0) return;
  for (int i = 0; i < 200 && alive(pid); ++i) {
    ::waitpid(pid, nullptr, WNOHANG);  // reaps it when it is our child
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (alive(pid)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

}  // namespace

bool core_forwards(const providers::Capabilities& caps) {
  return !caps.port_forwards && caps.guest_reachable;
}

std::vector<ForwardRule> forward_rules(const config::Topology& topo,
                                       const std::map<std::string, providers::MachineInfo>& live) {
  std::vector<ForwardRule> out;
  for (const auto& n : topo.nodes) {
    auto it = live.find(n.name);
    if (it == live.end() || it->second.state != providers::MachineState::Running ||
        !it->second.ssh || it->second.ssh->host.empty())
      continue;
    for (const auto& f : n.forwards)
      out.push_back({n.name, f.protocol, f.host_ip, f.host, it->second.ssh->host, f.guest});
  }
  return out;
}

std::string port_holder(int port, const std::string& protocol) {
  auto h = find_holder(port, protocol);
  return h ? describe_holder(*h) : "";
}

void check_forward_ports(const config::Topology& topo, const std::vector<std::string>& nodes) {
  std::vector<std::string> problems;
  for (const auto& name : nodes) {
    const config::Node* n = topo.find_node(name);
    if (!n) continue;
    for (const auto& f : n->forwards) {
      std::string why;
      if (host::port_free_on(f.host_ip, f.host, f.protocol, /*reuse_addr=*/true, &why)) continue;
      auto h = find_holder(f.host, f.protocol);
      if (h && is_forwarder_of(h->argv, topo.project_dir)) continue;  // ours: replaced later
      problems.push_back(fmt::format(
          "{}:{}:{}: node {}: host port {}:{}/{} (forwarded to guest port {}) is taken by {}",
          topo.vmfile.string(), f.pos.line, f.pos.col, n->name, f.host_ip, f.host, f.protocol,
          f.guest, h ? describe_holder(*h) : why));
    }
  }
  if (problems.empty()) return;
  std::string msg;
  for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
  msg += "\n(nothing was created; change `host` of that forward, or stop what holds the port)";
  throw UsageError(msg);
}

std::optional<pid_t> forwarder_pid(const fs::path& project) {
  auto text = host::read_text(pid_file(project));
  if (!text) return std::nullopt;
  pid_t pid = 0;
  try {
    pid = static_cast<pid_t>(std::stol(*text));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (!alive(pid) || !is_forwarder_of(cmdline(pid), project)) return std::nullopt;
  return pid;
}

std::vector<ForwardRule> served_forwards(const fs::path& project) {
  if (!forwarder_pid(project)) return {};
  return read_rules(project);
}

void stop_forwarder(const fs::path& project) {
  if (auto pid = forwarder_pid(project)) kill_and_wait(*pid);
  std::error_code ec;
  fs::remove(pid_file(project), ec);
  fs::remove(rules_file(project), ec);
}

bool sync_forwarder(const fs::path& project, const std::string& lab_id,
                    const std::vector<ForwardRule>& rules, const fs::path& program) {
  if (rules.empty()) {
    bool was = fs::exists(pid_file(project)) || fs::exists(rules_file(project));
    if (was) stop_forwarder(project);
    return was;
  }
  auto pid = forwarder_pid(project);
  if (pid && read_rules(project) == rules) return false;
  if (pid) kill_and_wait(*pid);
  // A forwarder of this lab whose pid file was lost (killed vmlab) still holds its ports.
  for (const auto& r : rules)
    if (auto h = find_holder(r.bind_port, r.protocol); h && is_forwarder_of(h->argv, project))
      kill_and_wait(h->pid);
  state::write_file_atomic(rules_file(project), to_json(rules).dump(2) + "\n", 0600);
  fs::create_directories(log_file(project).parent_path());

  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) throw Error("pipe: {}", std::strerror(errno));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log_file(project).c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_adddup2(&fa, ready[1], 3);  // dup2 clears O_CLOEXEC on fd 3
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, deflt;
  sigemptyset(&none);
  sigemptyset(&deflt);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&deflt, s);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &deflt);
  // Its own session: no terminal, so Ctrl-C in the user's shell and the shell's exit leave it.
  posix_spawnattr_setflags(&at,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string proj = project.string();
  std::vector<char*> argv{const_cast<char*>("vmlab"), const_cast<char*>(kForwarderArg),
                          const_cast<char*>(lab_id.c_str()), const_cast<char*>(proj.c_str()),
                          nullptr};
  pid_t child = 0;
  int rc = ::posix_spawn(&child, program.c_str(), &fa, &at, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  ::close(ready[1]);
  if (rc != 0) {
    ::close(ready[0]);
    throw Error("cannot start the port forwarder: {}", std::strerror(rc));
  }
  std::string answer;
  pollfd pfd{ready[0], POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answer.find('\n') == std::string::npos) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0 || ::poll(&pfd, 1, left) <= 0) break;
    char buf[512];
    ssize_t n = ::read(ready[0], buf, sizeof buf);
    if (n <= 0) break;
    answer.append(buf, static_cast<std::size_t>(n));
  }
  ::close(ready[0]);
  if (answer.rfind("ok", 0) == 0) {
    log::info("forward", "forwarder {} serves {} port(s)", child, rules.size());
    return true;
  }
  kill_and_wait(child);
  std::error_code ec;
  fs::remove(rules_file(project), ec);
  if (answer.empty())
    answer = "it did not answer within 10 s (see " + log_file(project).string() + ")";
  while (!answer.empty() && answer.back() == '\n') answer.pop_back();
  if (answer.rfind("error: ", 0) == 0) answer = answer.substr(7);
  throw Error("port forwarding failed: {}", answer);
}

}  // namespace vmlab::executor
