#pragma once
// Helpers for the Vmfile tests: load a document written to a fresh temp dir and return the
// diagnostics as the user would read them, with the temp dir stripped ("Vmfile:3:8: ...").
#include <map>
#include <string>

#include "config/load.hpp"
#include "provisioners/kubernetes/kubernetes_spec.hpp"
#include "provisioners/provisioner.hpp"
#include "testutil.hpp"

namespace vmlab::test {

// Hermetic (no VMLAB_PROVIDER) with the real provisioner table.
inline config::LoadOptions test_load_options() {
  config::LoadOptions opts;
  opts.use_env = false;
  opts.step_types = &provisioners::step_types();
  return opts;
}

// Loads `toml` as <tmp>/Vmfile (plus `files`, relative path -> content). Returns "ok" when it
// loads, else ConfigError::what() with "<tmp>/" removed. Never reads VMLAB_PROVIDER.
inline std::string problems_with(const config::LoadOptions& opts, const std::string& toml,
                                 const std::map<std::string, std::string>& files = {}) {
  TempDir dir;
  for (const auto& [rel, content] : files) dir.write(rel, content);
  const auto vmfile = dir.write("Vmfile", toml);
  try {
    config::load(vmfile, opts);
    return "ok";
  } catch (const config::ConfigError& e) {
    std::string text = e.what();
    const std::string prefix = dir.path().string() + "/";
    for (auto p = text.find(prefix); p != std::string::npos; p = text.find(prefix))
      text.erase(p, prefix.size());
    return text;
  }
}

inline std::string problems(const std::string& toml,
                            const std::map<std::string, std::string>& files = {}) {
  return problems_with(test_load_options(), toml, files);
}

// The real table, with kubernetes marked implemented: its language is checked before its
// provisioner exists, and these options let tests see only the language's own diagnostics.
inline config::LoadOptions k8s_load_options() {
  static const config::StepTypes types = [] {
    static config::StepType k8s = provisioners::kubernetes_step_type();
    k8s.implemented = true;
    config::StepTypes t;
    for (const config::StepType* st : provisioners::step_types())
      t.push_back(st->name == "kubernetes" ? &k8s : st);
    return t;
  }();
  config::LoadOptions opts = test_load_options();
  opts.step_types = &types;
  return opts;
}
inline std::string k8s_problems(const std::string& toml) {
  return problems_with(k8s_load_options(), toml);
}

// Loads `toml` as <tmp>/Vmfile and returns the topology (throws on problems).
inline config::Topology loaded(const TempDir& dir, const std::string& toml) {
  config::LoadOptions opts = test_load_options();
  return config::load(dir.write("Vmfile", toml), opts);
}

// A minimal valid lab prefix: one network and a default box, so a case adds only its nodes.
inline const char* const kLab = R"(name = "t"
[defaults]
box = "b"
[[network]]
name = "lab"
cidr = "192.168.56.0/24"
)";

}  // namespace vmlab::test
