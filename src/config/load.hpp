#pragma once
// Loading a Vmfile: parse (parse.cpp) -> defaults (defaults.cpp, provision.cpp) -> validate
// (validate.cpp). Every problem found is collected and thrown at once as a ConfigError, so a
// user fixes a file in one round. Nothing here touches a hypervisor, the network or .vmlab/.
// Kept light: no toml++ or nlohmann includes (see json.hpp for `vmlab config --json`).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "core/error.hpp"

namespace vmlab::config {

// One problem in a Vmfile: "FILE:LINE:COL: key.path: message" (key.path may be empty, e.g. for
// TOML syntax errors: "FILE:LINE:COL: message"). FILE is the path as the user gave it.
struct Diagnostic {
  std::string file;
  int line = 0;
  int col = 0;
  std::string key_path;  // "node[1].provision[0].type"; 0-based indices in file order
  std::string message;
  std::string str() const;
};

// Every problem of one Vmfile, sorted by line:col. what() = all diagnostics, one per line.
// Exit code 2 (bad input). main() prints the lines, then "vmlab: error: N problems in FILE".
class ConfigError : public vmlab::UsageError {
 public:
  ConfigError(std::string file, std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  const std::string& file() const { return file_; }
  std::string summary() const;  // "N problems in FILE" ("1 problem in FILE")

 private:
  std::string file_;
  std::vector<Diagnostic> diagnostics_;
};

struct StepType;  // step_type.hpp

struct LoadOptions {
  // Provider override (--provider). Empty: VMLAB_PROVIDER, else the Vmfile's, else "libvirt".
  std::string provider;
  // Read VMLAB_PROVIDER from the environment (tests switch it off to stay hermetic).
  bool use_env = true;
  // The provisioner types steps may use (provisioners::step_types()). Null: none, so every
  // step is an "unknown provisioner type" error.
  const std::vector<const StepType*>* step_types = nullptr;
};

// Reads, checks and resolves `vmfile`. Throws ConfigError listing EVERY problem found, or
// UsageError when the file cannot be read or the provider override is unknown.
Topology load(const std::filesystem::path& vmfile, const LoadOptions& opts = {});

// Same on an in-memory document; `as_file` is the name diagnostics show, and its directory is
// the project directory (relative script paths resolve against it).
Topology load_string(std::string_view toml, const std::filesystem::path& as_file,
                     const LoadOptions& opts = {});

// Finds "Vmfile" in `start` or the nearest parent that has one (like Vagrant). Returns an
// absolute path. Throws UsageError when there is none up to the filesystem root.
std::filesystem::path find_vmfile(const std::filesystem::path& start);

// The Vmfile a command uses: `given` (-f or a positional FILE) as typed, else find_vmfile() of
// the current directory, shown relative to it ("Vmfile", "../Vmfile").
std::filesystem::path locate_vmfile(const std::string& given);

// `vmlab config` without --json: a short human-readable summary, one block per node.
std::string summary(const Topology& t);

}  // namespace vmlab::config
