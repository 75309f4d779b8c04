#pragma once
// Internal to src/config: typed access to one TOML table for parse.cpp. Each getter records a
// type error ("expected an integer, got string \"two\"") and returns an unset value; check_keys()
// reports keys the schema does not know, with a did-you-mean hint. {vars.NAME} is expanded in
// every string it returns. Only parse.cpp includes this (it pulls in toml++).
#include <toml++/toml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/diagnostics.hpp"
#include "config/raw.hpp"

namespace vmlab::config {

SourcePos pos_of(const toml::source_region& r);
// A value as diagnostics show it: "string \"two\"", "integer 5", "boolean true", "array".
std::string describe(const toml::node& n);

class TableReader {
 public:
  // `prefix` is the key path of the table ("" for the document, "node[0]" for a node).
  TableReader(const toml::table& table, std::string prefix, Diagnostics& diag,
              const std::map<std::string, std::string>& vars);

  std::string path(std::string_view key) const;
  SourcePos pos() const { return pos_of(table_.source()); }
  const toml::node* get(std::string_view key) const { return table_.get(key); }

  Val<std::string> str(std::string_view key);
  Val<std::int64_t> integer(std::string_view key);
  Val<bool> boolean(std::string_view key);
  Val<std::string> size(std::string_view key);  // a string, or an integer taken as MiB
  Val<std::vector<std::string>> str_list(std::string_view key);
  std::vector<RawItem> str_or_list(std::string_view key, SourcePos* where = nullptr);
  Val<std::map<std::string, std::string>> str_map(std::string_view key);
  const toml::table* table(std::string_view key);
  // `[[key]]` entries; a lone table or other type is a type error (returns nullptr).
  const toml::array* table_array(std::string_view key);

  // Reports every key not in `allowed`. `what` names the table in the message when the
  // allowed set depends on context ("a shell step"); empty for a plain table.
  void check_keys(const std::vector<std::string>& allowed, std::string_view what = "");

  // Every key not in `skip`, as Values (strings expanded), in file order.
  std::vector<Field> fields_except(const std::vector<std::string>& skip);

  // `{vars.NAME}` substitution; an unknown name is reported at `pos` under `key_path`.
  std::string expand(const std::string& s, SourcePos pos, const std::string& key_path);

 private:
  Value to_value(const toml::node& n, const std::string& key_path);
  void type_error(const toml::node& n, const std::string& key_path, std::string_view expected);

  const toml::table& table_;
  std::string prefix_;
  Diagnostics& diag_;
  const std::map<std::string, std::string>& vars_;
};

}  // namespace vmlab::config
