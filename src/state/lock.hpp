#pragma once
// The project lock: mutating commands (up, halt, reload, destroy, provision) hold an exclusive
// flock() on .vmlab/lock for their whole run; a second one waits and says who holds it.
// The kernel drops the lock when the process dies, so a crash never leaves a stale lock.
#include <filesystem>
#include <functional>
#include <string>

namespace vmlab::state {

class ProjectLock {
 public:
  // Blocks until the lock is held. `on_wait` is called once (with the holder's pid text)
  // if another process holds it. Throws vmlab::Error if the lock file cannot be opened.
  ProjectLock(const std::filesystem::path& project_dir,
              const std::function<void(const std::string& holder)>& on_wait);
  ~ProjectLock();
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace vmlab::state
