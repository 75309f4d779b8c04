#include "executor/parallel.hpp"

#include <cstdlib>

namespace vmlab::executor {

size_t default_parallelism() {
  if (const char* v = std::getenv("VMLAB_PARALLEL")) {
    long n = std::strtol(v, nullptr, 10);
    if (n > 0) return static_cast<size_t>(n);
  }
  return 4;
}

}  // namespace vmlab::executor
