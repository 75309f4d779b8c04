#include "communicator/local_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/children.hpp"
#include "core/log.hpp"

extern char** environ;

namespace vmlab::communicator {
namespace {

// A pipe whose ends are closed when it goes out of scope.
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) fd[0] = fd[1] = -1;
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// Splits a stream into lines for on_line.
struct LineBuffer {
  std::string pending;
  void feed(const char* data, size_t n, bool is_stderr, const LocalCommand& cmd) {
    pending.append(data, n);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      if (cmd.on_line) cmd.on_line(std::string_view(pending).substr(start, nl - start), is_stderr);
    pending.erase(0, start);
  }
  void flush(bool is_stderr, const LocalCommand& cmd) {
    if (!pending.empty() && cmd.on_line) cmd.on_line(pending, is_stderr);
    pending.clear();
  }
};

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& add) {
  std::vector<std::string> out;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos && add.count(kv.substr(0, eq))) continue;
    out.push_back(std::move(kv));
  }
  for (const auto& [k, v] : add) out.push_back(k + "=" + v);
  return out;
}

int shell_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

int run_local(const LocalCommand& cmd) {
  if (cmd.argv.empty()) return 127;
  Pipe out, err;
  if (out.fd[0] < 0 || err.fd[0] < 0) {
    log::warn("ci", "cannot make a pipe: {}", std::strerror(errno));
    return 126;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err.fd[1], STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group (0: a new one, led by the child), and default signal dispositions
  // and mask: vmlab's own handlers and blocked signals are not the command's business.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const auto& a : cmd.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  auto env_strings = merged_environment(cmd.env);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    const std::string why = std::strerror(rc);
    if (cmd.on_line) cmd.on_line(cmd.argv[0] + ": " + why, true);
    return rc == ENOENT ? 127 : 126;
  }
  children::Registered registered(pid);
  out.close_end(1);
  err.close_end(1);

  std::array<LineBuffer, 2> lines;
  std::array<int, 2> fds{out.fd[0], err.fd[0]};
  int status = 0;
  bool exited = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  char buf[8192];
  while (true) {
    std::array<pollfd, 2> p{};
    nfds_t n = 0;
    std::array<int, 2> which{};
    for (int i = 0; i < 2; ++i)
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        which[n++] = i;
      }
    if (n == 0 && exited) break;
    if (exited && std::chrono::steady_clock::now() >= deadline) break;
    if (n > 0) {
      ::poll(p.data(), n, 100);
    } else {
      ::usleep(100 * 1000);
    }
    for (nfds_t k = 0; k < n; ++k) {
      if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int i = which[k];
      const ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got > 0) {
        lines[i].feed(buf, static_cast<size_t>(got), i == 1, cmd);
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        lines[i].flush(i == 1, cmd);
        fds[i] = -1;  // the Pipe closes it
      }
    }
    if (!exited) {
      const pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        exited = true;
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      } else if (cmd.poll) {
        if (const int sig = cmd.poll(); sig != 0) ::kill(-pid, sig);
      }
    }
  }
  for (int i = 0; i < 2; ++i) lines[i].flush(i == 1, cmd);
  // Something the command started still holds its output open: the rest of its group ends
  // with it (in CI nothing may outlive the run).
  if (fds[0] >= 0 || fds[1] >= 0) ::kill(-pid, SIGTERM);
  return shell_status(status);
}

}  // namespace vmlab::communicator
