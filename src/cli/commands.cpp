// The explicit command table: one entry per subcommand, each defined in its own cmd_*.cpp.
#include "cli/command.hpp"
#include "core/log.hpp"
#include "provisioners/provisioner.hpp"

namespace vmlab::cli {

config::LoadOptions load_options(const GlobalOptions& g) {
  config::LoadOptions opts;
  opts.provider = g.provider;
  opts.step_types = &provisioners::step_types();
  return opts;
}

void add_validate(CLI::App& app, GlobalOptions& g);
void add_config(CLI::App& app, GlobalOptions& g);
void add_plan(CLI::App& app, GlobalOptions& g);
void add_up(CLI::App& app, GlobalOptions& g);
void add_status(CLI::App& app, GlobalOptions& g);
void add_ssh(CLI::App& app, GlobalOptions& g);
void add_exec(CLI::App& app, GlobalOptions& g);
void add_provision(CLI::App& app, GlobalOptions& g);
void add_halt(CLI::App& app, GlobalOptions& g);
void add_reload(CLI::App& app, GlobalOptions& g);
void add_destroy(CLI::App& app, GlobalOptions& g);
void add_ssh_config(CLI::App& app, GlobalOptions& g);
void add_inventory(CLI::App& app, GlobalOptions& g);
void add_box(CLI::App& app, GlobalOptions& g);
void add_kubeconfig(CLI::App& app, GlobalOptions& g);
void add_ci(CLI::App& app, GlobalOptions& g);
void add_complete(CLI::App& app, GlobalOptions& g);  // hidden: for the shell completions
void add_generate(CLI::App& app, GlobalOptions& g);  // hidden: man page, completions
void add_forwarder(CLI::App& app, GlobalOptions& g);  // hidden: a lab's port forwarder
void add_doctor(CLI::App& app, GlobalOptions& g);
void add_ls(CLI::App& app, GlobalOptions& g);
void add_snapshot(CLI::App& app, GlobalOptions& g);

void add_all_commands(CLI::App& app, GlobalOptions& g) {
  app.add_option("-f,--file", g.vmfile, "Vmfile to use (default: ./Vmfile or a parent's)");
  app.add_option("--provider", g.provider, "provider override (libvirt | virtualbox)");
  app.add_flag("-v,--verbose", g.verbosity, "more logging (-vv: debug; or VMLAB_LOG=debug)");
  app.parse_complete_callback([&g] {
    if (g.verbosity > 0) log::set_level(g.verbosity > 1 ? log::Level::Debug : log::Level::Info);
  });
  using Add = void (*)(CLI::App&, GlobalOptions&);
  for (Add add : {add_up, add_status, add_ssh, add_exec, add_provision, add_halt, add_reload,
                  add_destroy, add_ssh_config, add_inventory, add_box, add_validate, add_config,
                  add_plan, add_kubeconfig, add_ci, add_doctor, add_ls, add_snapshot})
    add(app, g);
  add_complete(app, g);  // hidden (CLI11 group ""): not in --help, the man page, completions
  add_generate(app, g);
  add_forwarder(app, g);
}

}  // namespace vmlab::cli
