#pragma once
// Running provisioning steps: what the steps of one `up`/`provision` run share.
//  - Peers: sessions to other nodes of the lab, connected lazily on first use (pinned host
//    key, through the executor's ConnectFn), then reused; one caller at a time per peer.
//  - StepOutputs: values steps hand to later steps; non-secret ones are seeded from and
//    saved to the state record, secret ones live only in memory for this run.
//  - Masking: every output line and error text of a step passes StepOutputs::redact().
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "communicator/remote.hpp"
#include "executor/connect.hpp"
#include "lab/lab.hpp"
#include "provisioners/outputs.hpp"
#include "provisioners/provisioner.hpp"

namespace vmlab::executor {

using OutputFn = std::function<void(std::string_view line, bool is_stderr)>;

class StepRuntime final : public provisioners::Peers {
 public:
  // Reads the non-secret outputs of earlier runs from the lab's record.
  StepRuntime(lab::Lab& lab, ConnectFn connect);
  ~StepRuntime() override;

  // See provisioners::Peers. Errors name the node and say what to run.
  std::unique_ptr<communicator::Remote> peer(const std::string& node,
                                             const std::string& needs_step) override;

  // probe -> apply -> re-probe through the provisioner table, with this runtime's peers and
  // outputs. Output lines go to `out` (secrets masked) as they arrive. Throws on failure
  // (the message masked too).
  void run_step(communicator::Remote& remote, const config::Node& node,
                const config::ProvisionStep& step, const OutputFn& out);

  provisioners::StepOutputs& outputs() { return outputs_; }

 private:
  struct PeerSlot {
    std::mutex mu;  // held by the handle peer() returns
    std::unique_ptr<communicator::Remote> remote;
  };
  lab::Lab& lab_;
  ConnectFn connect_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<PeerSlot>> peers_;
  provisioners::StepOutputs outputs_;
};

}  // namespace vmlab::executor
