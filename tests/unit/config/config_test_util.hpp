#pragma once
// Helpers for the Vmfile tests: load a document written to a fresh temp dir and return the
// diagnostics as the user would read them, with the temp dir stripped ("Vmfile:3:8: ...").
#include <map>
#include <string>

#include "config/load.hpp"
#include "testutil.hpp"

namespace vmlab::test {

// Loads `toml` as <tmp>/Vmfile (plus `files`, relative path -> content). Returns "ok" when it
// loads, else ConfigError::what() with "<tmp>/" removed. Never reads VMLAB_PROVIDER.
inline std::string problems(const std::string& toml,
                            const std::map<std::string, std::string>& files = {}) {
  TempDir dir;
  for (const auto& [rel, content] : files) dir.write(rel, content);
  const auto vmfile = dir.write("Vmfile", toml);
  config::LoadOptions opts;
  opts.use_env = false;
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

// Loads `toml` as <tmp>/Vmfile and returns the topology (throws on problems).
inline config::Topology loaded(const TempDir& dir, const std::string& toml) {
  config::LoadOptions opts;
  opts.use_env = false;
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
