#include "executor/parallel.hpp"

#include "core/settings.hpp"

namespace vmlab::executor {

size_t default_parallelism() {
  return static_cast<size_t>(settings::count("VMLAB_PARALLEL"));
}

}  // namespace vmlab::executor
