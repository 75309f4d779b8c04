// libFuzzer target: the .vmlab/state.json reader (state::record_from_text), and writing the
// record it read back out (record_text), which must read again as the same record.
// Expected failures are vmlab::Error; anything else that escapes, every sanitizer report and
// a record that does not survive the round trip are findings.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "state/state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  vmlab::state::LabRecord rec;
  try {
    rec = vmlab::state::record_from_text(text, "state.json");
  } catch (const vmlab::Error&) {
    return 0;  // not a record: expected
  }
  const std::string out = vmlab::state::record_text(rec);
  if (vmlab::state::record_text(vmlab::state::record_from_text(out, "written")) != out)
    std::abort();  // what vmlab writes must read back as the same record
  return 0;
}
