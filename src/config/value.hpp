#pragma once
// A value as written in the Vmfile, kept for the provisioner that declares its key: TOML's
// shape (string, integer, boolean, array, table) after {vars.NAME} expansion, with where it
// was written. Only the parser makes these (from toml++ nodes); nothing else needs toml++.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/model.hpp"

namespace vmlab::config {

struct Field;

struct Value {
  enum class Kind { String, Integer, Boolean, Array, Table, Other };
  Kind kind = Kind::Other;
  std::string text;           // String: the expanded text; Other: how it is described
  std::int64_t integer = 0;   // Integer
  bool boolean = false;       // Boolean
  std::vector<Value> items;   // Array
  std::vector<Field> fields;  // Table, in file order
  SourcePos pos;              // where the value starts
  std::string key;            // its key path: "node[0].provision[1].run[0].args"

  bool is_string() const { return kind == Kind::String; }
  bool is_table() const { return kind == Kind::Table; }
  bool is_array() const { return kind == Kind::Array; }
  const Value* field(std::string_view name) const;  // Table only; nullptr when absent
};

// One `key = value` of a table: the key's own position is where "unknown key" points.
struct Field {
  std::string name;
  SourcePos key_pos;
  Value value;
};

// How diagnostics show a value: "string \"two\"", "integer 5", "boolean true", "array",
// "table", "float 1.5", "date-time".
std::string describe(const Value& v);

}  // namespace vmlab::config
