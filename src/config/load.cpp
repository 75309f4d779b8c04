// load(): read the file, run parse -> resolve -> validate, throw every problem at once.
#include "config/load.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/stages.hpp"
#include "config/step_type.hpp"
#include "config/text.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"

namespace vmlab::config {

namespace {

// --provider beats VMLAB_PROVIDER beats the file. An unknown override is a usage error.
std::string chosen_provider(const LoadOptions& opts) {
  std::string p = opts.provider;
  std::string from = "--provider";
  if (p.empty() && opts.use_env) {
    if (auto env = settings::value("VMLAB_PROVIDER")) {
      p = *env;
      from = "VMLAB_PROVIDER";
    }
  }
  const auto& known = known_providers();
  if (!p.empty() && std::find(known.begin(), known.end(), p) == known.end())
    throw UsageError(
        fmt::format("unknown provider \"{}\" (from {}); allowed: {}", p, from, join(known)));
  return p;
}

}  // namespace

Topology load_string(std::string_view toml, const std::filesystem::path& as_file,
                     const LoadOptions& opts) {
  const std::string provider = chosen_provider(opts);
  Diagnostics diag(as_file.string());
  const Raw raw = parse_vmfile(toml, as_file.string(), diag);
  if (!diag.empty() && diag.tainted("")) diag.throw_if_any();  // not TOML: nothing to resolve
  static const StepTypes kNone;
  Resolved r = resolve(raw, std::filesystem::absolute(as_file).lexically_normal(), provider,
                       opts.step_types ? *opts.step_types : kNone, diag);
  validate(raw, r, diag);
  diag.throw_if_any();
  log::debug("config", "loaded {}: {} nodes, {} networks, provider {}", as_file.string(),
             r.topo.nodes.size(), r.topo.networks.size(), r.topo.provider);
  return std::move(r.topo);
}

Topology load(const std::filesystem::path& vmfile, const LoadOptions& opts) {
  std::ifstream in(vmfile, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(vmfile, ec))
    throw UsageError(fmt::format("cannot read {}", vmfile.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return load_string(text.str(), vmfile, opts);
}

}  // namespace vmlab::config
