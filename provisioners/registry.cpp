// The explicit provisioner table: Vmfile `type` -> its language spec and its factory.
// Add a provisioner here: one folder (spec + provisioner) and one line below.
#include "provisioners/docker/docker.hpp"
#include "provisioners/file/file.hpp"
#include "provisioners/file/file_spec.hpp"
#include "provisioners/kubernetes/kubernetes.hpp"
#include "provisioners/kubernetes/kubernetes_spec.hpp"
#include "provisioners/provisioner.hpp"
#include "provisioners/shell/shell.hpp"
#include "provisioners/shell/shell_spec.hpp"

namespace vmlab::provisioners {

template <typename P>
std::unique_ptr<Provisioner> make() {
  return std::make_unique<P>();
}

const std::vector<ProvisionerEntry>& provisioner_table() {
  static const std::vector<ProvisionerEntry> kTable = {
      {shell_step_type(), &make<ShellProvisioner>},
      {file_step_type(), &make<FileProvisioner>},
      {docker_step_type(), &make<DockerProvisioner>},
      {kubernetes_step_type(), &make<KubernetesProvisioner>},
  };
  return kTable;
}

}  // namespace vmlab::provisioners
