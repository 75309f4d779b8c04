#pragma once
// Internal to src/config: the Vmfile as written, after TOML parsing and {vars.X} substitution,
// before defaults. "Unset" is not "zero": every value is optional and carries the position it
// came from. A value whose type was wrong is left unset (and its key path tainted).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model.hpp"
#include "config/value.hpp"

namespace vmlab::config {

template <typename T>
struct Val {
  std::optional<T> value;
  SourcePos pos;
  bool has() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

// One string inside an array (or a lone string), with its own key path and position.
struct RawItem {
  std::string value;
  SourcePos pos;
  std::string key;  // "node[0].ip" for a lone string, "node[0].ip[1]" inside an array
};

struct RawForward {
  SourcePos pos;
  std::string key;  // "node[0].forward[1]"
  Val<std::int64_t> guest, host;
  Val<std::string> protocol;
  Val<std::string> host_ip;
};

struct RawSync {
  SourcePos pos;
  std::string key;  // "node[0].sync[1]", "defaults.sync[0]"
  Val<std::string> host, guest, mode;
};

// `box = { name, url, sha256 }`: a box name with where to fetch it.
struct RawBoxSource {
  SourcePos pos;
  std::string key;  // "node[0].box", "defaults.box"
  Val<std::string> url, sha256;
};

struct RawStep {
  SourcePos pos;
  std::string key;  // "node[0].provision[2]"
  // The keys every step has; read by the config.
  Val<std::string> type, name, run;
  std::vector<RawItem> after;
  SourcePos after_pos;
  // Every other key, as written: the step's type declares and checks them (step_type.hpp).
  std::vector<Field> fields;
};

struct RawNode {
  SourcePos pos;
  std::string key;  // "node[1]"
  Val<std::string> name, box;
  std::optional<RawBoxSource> box_source;  // box given as a table
  Val<std::int64_t> cpus, count;
  Val<std::string> memory, disk;  // size text; a TOML integer becomes its decimal text
  std::vector<RawItem> ip;
  std::vector<RawForward> forward;
  std::vector<RawStep> provision;
  std::vector<RawSync> sync;
};

struct RawNetwork {
  SourcePos pos;
  std::string key;  // "network[0]"
  Val<std::string> name, cidr;
};

struct RawDefaults {
  Val<std::string> box;
  std::optional<RawBoxSource> box_source;
  Val<std::int64_t> cpus;
  Val<std::string> memory, disk;
  std::vector<RawSync> sync;
};

struct Raw {
  Val<std::string> name, provider;
  Val<bool> hosts;
  std::map<std::string, std::string> vars;
  RawDefaults defaults;
  Val<std::string> libvirt_uri;
  std::vector<RawNetwork> networks;
  std::vector<RawNode> nodes;
};

}  // namespace vmlab::config
