#pragma once
// Runs one provisioning step on a connected machine through the provisioner table:
// probe -> apply -> re-probe. Output lines go to `out` as they arrive. Throws on failure.
#include <functional>
#include <string_view>

#include "lab/lab.hpp"
#include "communicator/remote.hpp"

namespace vmlab::executor {

using OutputFn = std::function<void(std::string_view line, bool is_stderr)>;

void run_step(communicator::Remote& remote, const lab::Lab& lab, const config::Node& node,
              const config::ProvisionStep& step, const OutputFn& out);

}  // namespace vmlab::executor
