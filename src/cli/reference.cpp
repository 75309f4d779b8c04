#include "cli/reference.hpp"

#include <algorithm>

#include "providers/registry/registry.hpp"

namespace vmlab::cli {
namespace {

std::string provider_words() {
  std::string w = "=";
  for (const auto& p : providers::provider_table())
    w += (w.size() > 1 ? " " : "") + std::string(p.name);
  return w;
}

OptionRef option_ref(const CLI::Option& o, bool root) {
  OptionRef r;
  r.positional = !o.nonpositional();
  r.help = o.get_description();
  r.required = o.get_required();
  r.repeats = o.get_items_expected_max() > 1;
  if (r.positional) {
    r.names = {o.get_name(true)};
    r.value = o.get_type_name();
    const std::string& n = r.names[0];
    if (n == "node" || n == "nodes")
      r.completes = "nodes";
    else if (r.value == "BOX")
      r.completes = "boxes";
    else if (n == "FILE" || n == "PATH")
      r.completes = "files";
    return r;
  }
  for (const auto& s : o.get_snames()) r.names.push_back("-" + s);
  for (const auto& l : o.get_lnames()) r.names.push_back("--" + l);
  if (o.get_type_size() != 0) r.value = o.get_type_name();
  const auto has = [&](const char* name) {
    return std::find(r.names.begin(), r.names.end(), name) != r.names.end();
  };
  if (has("--file")) {
    r.completes = "files";
    r.is_vmfile = root;
  }
  if (has("--provider")) r.completes = provider_words();
  return r;
}

CommandRef walk(const CLI::App& app, std::vector<std::string> path) {
  CommandRef c;
  c.path = path;
  c.help = app.get_description();
  const bool root = path.empty();
  for (const CLI::Option* o : app.get_options()) {
    if (o->get_group().empty()) continue;  // hidden
    OptionRef r = option_ref(*o, root);
    if (r.positional)
      c.positionals.push_back(std::move(r));
    else if (o == app.get_help_ptr())
      c.options.insert(c.options.begin(), std::move(r));
    else
      c.options.push_back(std::move(r));
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_group().empty()) continue;  // hidden
    auto p = path;
    p.push_back(sub->get_name());
    c.subcommands.push_back(walk(*sub, p));
  }
  return c;
}

}  // namespace

std::string CommandRef::name() const {
  std::string n = "vmlab";
  for (const auto& p : path) n += " " + p;
  return n;
}

CommandRef command_tree(const CLI::App& app) {
  return walk(app, {});
}

std::vector<OptionRef> effective_options(const std::vector<const CommandRef*>& chain) {
  std::vector<OptionRef> out;
  const auto taken = [&](const std::string& name) {
    for (const auto& o : out)
      if (std::find(o.names.begin(), o.names.end(), name) != o.names.end()) return true;
    return false;
  };
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    for (const auto& o : (*it)->options) {
      OptionRef kept = o;
      std::erase_if(kept.names, taken);
      if (!kept.names.empty()) out.push_back(std::move(kept));
    }
  return out;
}

}  // namespace vmlab::cli
