#pragma once
// Test helpers: a fresh temporary directory per test (RAII), file writing, running the binary.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "skip.hpp"

namespace vmlab::test {
namespace fs = std::filesystem;

// Creates a fresh directory under $TMPDIR and removes it (recursively) at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "vmlab-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& p) const { return path_ / p; }
  // Writes `content` to path()/rel (creating parents) and returns the full path.
  fs::path write(const std::string& rel, const std::string& content) const {
    fs::path p = path_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

}  // namespace vmlab::test
