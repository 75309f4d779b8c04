#pragma once
// What the config needs of a provisioner type: the seam between the Vmfile language and
// provisioners/. Each provisioner declares one StepType (its keys, its resolve hook, its
// cross-node rules); the provisioner table (provisioners/registry.cpp) lists them and
// config::load() reads that table. The config itself knows no type by name.
//
// How a step is read:
//  1. parse: the common keys (type, name, after, run) are read by the config; every other key
//     of the step table is kept as a Value (strings with {vars.NAME} expanded).
//  2. resolve: the type is looked up in the table (an unknown type is an error at its
//     line:col, naming the known ones). Keys the type does not declare are errors with a
//     did-you-mean hint; declared keys are type-checked against their KeySpec (and their
//     `allowed` values). Then the type's `resolve` hook turns the checked values into the
//     type's StepSettings, reporting its own problems into the StepInput.
//  3. after every node is resolved, each type's `derive` hook (if any) sees the whole
//     topology: cross-node rules and derived `after` edges (kubernetes workers -> plane).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"
#include "config/value.hpp"

namespace vmlab::config {

class Diagnostics;

enum class KeyType {
  String,      // "text" (checked against KeySpec::allowed when that is not empty)
  Boolean,     // true | false
  Integer,     // 5
  StringList,  // ["a", "b"]
  StringMap,   // { k = "v" }
  Table,       // { ... } of anything; the resolve hook checks inside
  TableList,   // [{ ... }, { ... }] or [[key]] entries; the resolve hook checks inside
};
const char* to_string(KeyType t);  // "a string", "an array of strings", ... (as in messages)

struct KeySpec {
  std::string name;
  KeyType type = KeyType::String;
  std::vector<std::string> allowed;  // String only: the allowed values (empty = any)
  std::string default_text;          // how docs show the default ("" = no default)
  std::string doc;                   // one line for docs/vmfile.md and `vmlab config --keys`
};

// Accumulates what makes a `once` step count as changed. Field boundaries are kept, so
// ("ab","c") and ("a","bc") differ.
class DigestBuilder {
 public:
  void add(std::string_view field);
  void add(bool b) { add(std::string_view(b ? "1" : "0")); }
  // The content of a file, or of every file below a directory (relative names, modes and
  // contents, in name order); a missing path adds a marker, so its later appearance counts.
  void add_content(const std::filesystem::path& p);
  std::string hex() const;  // 16 hex digits

 private:
  std::uint64_t h_ = 1469598103934665603ULL;
};

// The resolved, type-specific part of a step: what its provisioner reads. Immutable once
// made; shared by the members of a node group.
struct StepSettings {
  virtual ~StepSettings() = default;
  // The type's fields for `vmlab config --json` (paths shown relative to `project`).
  virtual void to_json(nlohmann::json& out, const std::filesystem::path& project) const = 0;
  // Everything that makes the step's effect differ: its settings and the CONTENT of every
  // local file it uses (a script, an uploaded file or tree, an archive, a build context).
  virtual void digest(DigestBuilder& d) const = 0;
};

// What a type's resolve hook receives: the step's keys, already type-checked (a key whose
// value had the wrong type is absent here, and its problem is already reported).
class StepInput {
 public:
  StepInput(const std::vector<Field>& fields, std::string key, SourcePos pos,
            const std::filesystem::path& project, Diagnostics& diag)
      : fields_(fields), key_(std::move(key)), pos_(pos), project_(project), diag_(diag) {}

  const Value* get(std::string_view name) const;  // nullptr when unset
  bool has(std::string_view name) const { return get(name) != nullptr; }
  std::string str(std::string_view name, std::string fallback) const;
  bool boolean(std::string_view name, bool fallback) const;
  std::vector<std::string> str_list(std::string_view name) const;  // [] when unset
  std::vector<std::pair<std::string, std::string>> str_map(std::string_view name) const;

  const std::string& key() const { return key_; }  // "node[0].provision[1]"
  std::string key(std::string_view name) const;    // "node[0].provision[1].name"
  SourcePos pos() const { return pos_; }
  const std::filesystem::path& project_dir() const { return project_; }

  // Problems found by the hook: at a value, at a key of this step, or at the step itself.
  void error(const Value& at, std::string message) const;
  void error(std::string_view name, std::string message) const;  // at the key, or the step
  void error_at_step(std::string message) const;
  bool tainted(std::string_view name) const;  // the key was already rejected

  // A path written in the Vmfile, resolved against the project directory; reported (as
  // "<what> \"x\" does not exist (...)") when it does not exist. Returns it normalised.
  std::filesystem::path existing_path(const Value& v, std::string_view what) const;

 private:
  const std::vector<Field>& fields_;
  std::string key_;
  SourcePos pos_;
  const std::filesystem::path& project_;
  Diagnostics& diag_;
};

struct StepType {
  std::string name;         // the Vmfile's `type`
  std::string description;  // one line
  std::vector<KeySpec> keys;
  // Checked keys -> settings. Never null; returns settings even when it reported problems
  // (load() throws after every stage ran).
  std::shared_ptr<const StepSettings> (*resolve)(const StepInput& in) = nullptr;
  // Cross-node rules and derived edges, once, after all nodes are resolved. May be null.
  void (*derive)(Topology& topo, Diagnostics& diag) = nullptr;
  // False: the type is known to the language but has no implementation in this build; its
  // steps are a validate error at the type's line:col.
  bool implemented = true;
};

using StepTypes = std::vector<const StepType*>;

// The keys every step has, whatever its type (read by the config itself).
const std::vector<std::string>& common_step_keys();

}  // namespace vmlab::config
