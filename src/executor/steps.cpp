#include "executor/steps.hpp"

#include "provisioners/provisioner.hpp"

namespace vmlab::executor {

void run_step(communicator::Remote& remote, const lab::Lab& lab, const config::Node& node,
              const config::ProvisionStep& step, const OutputFn& out) {
  auto p = provisioners::make_provisioner(step.type);
  provisioners::Context ctx{remote, node, step, lab.topo.project_dir,
                            [&out](const std::string&, std::string_view line, bool err) {
                              out(line, err);
                            }};
  provisioners::run_step(*p, ctx);
}

}  // namespace vmlab::executor
