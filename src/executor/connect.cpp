#include "executor/connect.hpp"

#include "communicator/ssh_session.hpp"
#include "core/log.hpp"

namespace vmlab::executor {

const ConnectFn& ssh_connector() {
  static const ConnectFn fn = [](const communicator::SshTarget& target,
                                 std::chrono::steady_clock::time_point deadline,
                                 const std::function<void()>& on_attempt)
      -> std::unique_ptr<communicator::Remote> {
    auto s = communicator::wait_ready(target, deadline, [&](const communicator::Attempt& a) {
      log::debug("up", "{}: attempt {}: {}", a.node, a.number, a.message);
      if (on_attempt) on_attempt();
    });
    return std::make_unique<communicator::SshSession>(std::move(s));
  };
  return fn;
}

}  // namespace vmlab::executor
