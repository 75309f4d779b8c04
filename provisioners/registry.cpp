// The explicit provisioner table: Vmfile `type` -> factory. Add new provisioners here.
#include "provisioners/file/file.hpp"
#include "provisioners/provisioner.hpp"
#include "provisioners/shell/shell.hpp"

namespace vmlab::provisioners {

const std::vector<ProvisionerEntry>& provisioner_table() {
  static const std::vector<ProvisionerEntry> kTable = {
      {"shell", "run an inline script or a script file (args, env, sudo)",
       [] { return std::unique_ptr<Provisioner>(new ShellProvisioner()); }},
      {"file", "copy a file or directory to the guest",
       [] { return std::unique_ptr<Provisioner>(new FileProvisioner()); }},
  };
  return kTable;
}

}  // namespace vmlab::provisioners
