#pragma once
// How `up` reaches a machine once it runs: the executor's one seam to the communicator.
#include <chrono>
#include <functional>
#include <memory>

#include "communicator/remote.hpp"
#include "communicator/ssh_target.hpp"

namespace vmlab::executor {

// Waits until `target` answers (host key verified) or `deadline` passes, calling
// `on_attempt` after each failed attempt (it may throw, e.g. Interrupted, to stop waiting),
// and returns the connected Remote. Throws SshError when the deadline passes.
// Called from executor threads, for different machines at once.
using ConnectFn = std::function<std::unique_ptr<communicator::Remote>(
    const communicator::SshTarget& target, std::chrono::steady_clock::time_point deadline,
    const std::function<void()>& on_attempt)>;

// The SSH communicator (communicator::wait_ready). Unit tests pass a fake instead.
const ConnectFn& ssh_connector();

}  // namespace vmlab::executor
