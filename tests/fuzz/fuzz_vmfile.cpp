// libFuzzer target: the Vmfile loader, parse -> defaults -> validate (config::load_string),
// with the real provisioner step types, then what `vmlab config` prints of a loaded file
// (summary and --json). The input is the Vmfile's text; its project directory is the current
// one (tests/fuzz/run.sh runs it in a directory holding the files the seeds refer to).
// Expected failures are vmlab::Error (ConfigError, UsageError); anything else that escapes,
// and every sanitizer report, is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/json.hpp"
#include "config/load.hpp"
#include "core/error.hpp"
#include "provisioners/provisioner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const vmlab::config::LoadOptions opts = [] {
    vmlab::config::LoadOptions o;
    o.use_env = false;  // hermetic: no VMLAB_PROVIDER
    o.step_types = &vmlab::provisioners::step_types();
    return o;
  }();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const vmlab::config::Topology topo = vmlab::config::load_string(text, "Vmfile", opts);
    (void)vmlab::config::summary(topo);
    (void)vmlab::config::to_json(topo).dump();
  } catch (const vmlab::Error&) {
    // a diagnosed Vmfile: expected
  }
  return 0;
}
