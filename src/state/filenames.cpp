#include "state/filenames.hpp"

#include "core/settings.hpp"

namespace vmlab::filenames {

fs::path data_dir() {
  if (auto v = settings::value("VMLAB_HOME")) return *v;
  if (auto x = settings::value("XDG_DATA_HOME")) return fs::path(*x) / "vmlab";
  if (auto h = settings::value("HOME")) return fs::path(*h) / ".local/share/vmlab";
  return "/var/lib/vmlab";
}

}  // namespace vmlab::filenames
