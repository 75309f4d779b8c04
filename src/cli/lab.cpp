#include "cli/lab.hpp"

namespace vmlab::cli {

Lab open_lab(const GlobalOptions& g) { return lab::open_lab({g.vmfile, g.provider}); }

}  // namespace vmlab::cli
