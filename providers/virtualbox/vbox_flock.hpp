#pragma once
// An exclusive flock() on a file, held for the object's lifetime (RAII). Separate FileLock
// objects exclude each other across processes and across threads of one process.
#include <filesystem>

namespace vmlab::vbox {

class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);  // blocks; throws vmlab::Error
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace vmlab::vbox
