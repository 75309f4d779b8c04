#include "state/filenames.hpp"

#include <cstdlib>

namespace vmlab::filenames {

fs::path data_dir() {
  if (const char* v = std::getenv("VMLAB_HOME"); v && *v) return v;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return fs::path(x) / "vmlab";
  if (const char* h = std::getenv("HOME"); h && *h) return fs::path(h) / ".local/share/vmlab";
  return "/var/lib/vmlab";
}

}  // namespace vmlab::filenames
