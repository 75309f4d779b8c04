// `vmlab kubeconfig`: prints the path of the lab cluster's admin kubeconfig, which the
// kubernetes provisioner fetched from the control plane to <project>/.vmlab/kubeconfig (0600):
//   kubectl --kubeconfig "$(vmlab kubeconfig)" get nodes
#include <fmt/format.h>

#include "cli/command.hpp"
#include "config/load.hpp"
#include "core/error.hpp"
#include "state/filenames.hpp"

namespace vmlab::cli {

void add_kubeconfig(CLI::App& app, GlobalOptions& g) {
  auto* cmd = app.add_subcommand("kubeconfig", "Print the path of the lab cluster's kubeconfig");
  cmd->callback([&g] {
    const auto file = config::locate_vmfile(g.vmfile);
    const auto path = filenames::kubeconfig(std::filesystem::absolute(file).parent_path());
    if (!std::filesystem::exists(path))
      throw Error("no kubeconfig at {}: `vmup` fetches it once the kubernetes control plane is up",
                  path.string());
    fmt::print("{}\n", path.string());
  });
}

}  // namespace vmlab::cli
