// Typed TOML access with exact diagnostics.
#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/text.hpp"

namespace vmlab::config {
// "string \"two\"", "integer 5", "float 1.5", "boolean true", "array", "table", "date-time".
std::string describe(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return fmt::format("string \"{}\"", n.value<std::string>().value_or(""));
    case toml::node_type::integer:
      return fmt::format("integer {}", n.value<std::int64_t>().value_or(0));
    case toml::node_type::floating_point:
      return fmt::format("float {}", n.value<double>().value_or(0));
    case toml::node_type::boolean:
      return fmt::format("boolean {}", n.value<bool>().value_or(false) ? "true" : "false");
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    default:
      return "date-time";
  }
}

SourcePos pos_of(const toml::source_region& r) {
  return SourcePos{static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

TableReader::TableReader(const toml::table& table, std::string prefix, Diagnostics& diag,
                         const std::map<std::string, std::string>& vars)
    : table_(table), prefix_(std::move(prefix)), diag_(diag), vars_(vars) {}

std::string TableReader::path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : fmt::format("{}.{}", prefix_, key);
}

void TableReader::type_error(const toml::node& n, const std::string& key_path,
                             std::string_view expected) {
  diag_.add(pos_of(n.source()), key_path,
            fmt::format("expected {}, got {}", expected, describe(n)));
}

std::string TableReader::expand(const std::string& s, SourcePos pos, const std::string& key_path) {
  static const std::string kOpen = "{vars.";
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto start = s.find(kOpen, i);
    const auto close = start == std::string::npos ? start : s.find('}', start);
    if (close == std::string::npos) {
      out += s.substr(i);
      break;
    }
    out += s.substr(i, start - i);
    const std::string name = s.substr(start + kOpen.size(), close - start - kOpen.size());
    if (auto it = vars_.find(name); it != vars_.end()) {
      out += it->second;
    } else {
      std::vector<std::string> known;
      for (const auto& [k, v] : vars_) known.push_back(k);
      std::string hint = known.empty() ? "; no [vars] are defined" : "";
      if (hint.empty()) {
        const auto close_one = did_you_mean(name, known);
        hint = close_one.empty() ? fmt::format("; defined: {}", join(known))
                                 : fmt::format("; did you mean \"{}\"?", close_one);
      }
      diag_.add(pos, key_path, fmt::format("unknown variable \"{}\"{}", name, hint));
      out += s.substr(start, close + 1 - start);
    }
    i = close + 1;
  }
  return out;
}

Val<std::string> TableReader::str(std::string_view key) {
  Val<std::string> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  if (auto s = n->value_exact<std::string>())
    v.value = expand(*s, v.pos, path(key));
  else
    type_error(*n, path(key), "a string");
  return v;
}

Val<std::int64_t> TableReader::integer(std::string_view key) {
  Val<std::int64_t> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  if (auto i = n->value_exact<std::int64_t>())
    v.value = *i;
  else
    type_error(*n, path(key), "an integer");
  return v;
}

Val<bool> TableReader::boolean(std::string_view key) {
  Val<bool> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  if (auto b = n->value_exact<bool>())
    v.value = *b;
  else
    type_error(*n, path(key), "a boolean (true or false)");
  return v;
}

Val<std::string> TableReader::size(std::string_view key) {
  Val<std::string> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  if (auto s = n->value_exact<std::string>())
    v.value = expand(*s, v.pos, path(key));
  else if (auto i = n->value_exact<std::int64_t>())
    v.value = std::to_string(*i);
  else
    type_error(*n, path(key), "a size like \"2GiB\" or an integer (MiB)");
  return v;
}

Val<std::vector<std::string>> TableReader::str_list(std::string_view key) {
  Val<std::vector<std::string>> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  const toml::array* arr = n->as_array();
  if (!arr) {
    type_error(*n, path(key), "an array of strings");
    return v;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const std::string p = fmt::format("{}[{}]", path(key), i);
    if (auto s = e.value_exact<std::string>())
      out.push_back(expand(*s, pos_of(e.source()), p));
    else
      type_error(e, p, "a string"), ok = false;
  }
  if (ok) v.value = std::move(out);
  return v;
}

std::vector<RawItem> TableReader::str_or_list(std::string_view key, SourcePos* where) {
  std::vector<RawItem> out;
  const toml::node* n = table_.get(key);
  if (!n) return out;
  if (where) *where = pos_of(n->source());
  if (auto s = n->value_exact<std::string>()) {
    const SourcePos p = pos_of(n->source());
    out.push_back({expand(*s, p, path(key)), p, path(key)});
  } else if (const toml::array* arr = n->as_array()) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& e = *arr->get(i);
      const std::string p = fmt::format("{}[{}]", path(key), i);
      if (auto es = e.value_exact<std::string>())
        out.push_back({expand(*es, pos_of(e.source()), p), pos_of(e.source()), p});
      else
        type_error(e, p, "a string");
    }
  } else {
    type_error(*n, path(key), "a string or an array of strings");
  }
  return out;
}

Val<std::map<std::string, std::string>> TableReader::str_map(std::string_view key) {
  Val<std::map<std::string, std::string>> v;
  const toml::node* n = table_.get(key);
  if (!n) return v;
  v.pos = pos_of(n->source());
  const toml::table* t = n->as_table();
  if (!t) {
    type_error(*n, path(key), "a table of strings");
    return v;
  }
  std::map<std::string, std::string> out;
  for (auto&& [k, e] : *t) {
    const std::string p = fmt::format("{}.{}", path(key), k.str());
    if (auto s = e.value_exact<std::string>())
      out[std::string(k.str())] = expand(*s, pos_of(e.source()), p);
    else
      type_error(e, p, "a string");
  }
  v.value = std::move(out);
  return v;
}

const toml::table* TableReader::table(std::string_view key) {
  const toml::node* n = table_.get(key);
  if (!n) return nullptr;
  if (const toml::table* t = n->as_table()) return t;
  type_error(*n, path(key), "a table");
  return nullptr;
}

const toml::array* TableReader::table_array(std::string_view key) {
  const toml::node* n = table_.get(key);
  if (!n) return nullptr;
  const toml::array* arr = n->as_array();
  if (arr && arr->is_array_of_tables()) return arr;
  if (arr && arr->empty()) return arr;
  type_error(*n, path(key), fmt::format("an array of tables ([[{}]])", key));
  return nullptr;
}

Value TableReader::to_value(const toml::node& n, const std::string& key_path) {
  Value v;
  v.pos = pos_of(n.source());
  v.key = key_path;
  if (auto s = n.value_exact<std::string>()) {
    v.kind = Value::Kind::String;
    v.text = expand(*s, v.pos, key_path);
  } else if (auto i = n.value_exact<std::int64_t>()) {
    v.kind = Value::Kind::Integer;
    v.integer = *i;
  } else if (auto b = n.value_exact<bool>()) {
    v.kind = Value::Kind::Boolean;
    v.boolean = *b;
  } else if (const toml::array* arr = n.as_array()) {
    v.kind = Value::Kind::Array;
    for (std::size_t i = 0; i < arr->size(); ++i)
      v.items.push_back(to_value(*arr->get(i), fmt::format("{}[{}]", key_path, i)));
  } else if (const toml::table* t = n.as_table()) {
    v.kind = Value::Kind::Table;
    for (auto&& [k, e] : *t) {
      const std::string name(k.str());
      v.fields.push_back({name, pos_of(k.source()), to_value(e, key_path + "." + name)});
    }
  } else {
    v.kind = Value::Kind::Other;
    v.text = describe(n);
  }
  return v;
}

std::vector<Field> TableReader::fields_except(const std::vector<std::string>& skip) {
  std::vector<Field> out;
  for (auto&& [k, e] : table_) {
    const std::string name(k.str());
    if (std::find(skip.begin(), skip.end(), name) != skip.end()) continue;
    out.push_back({name, pos_of(k.source()), to_value(e, path(name))});
  }
  return out;
}

void TableReader::check_keys(const std::vector<std::string>& allowed, std::string_view what) {
  for (auto&& [k, v] : table_) {
    const std::string key(k.str());
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string guess = did_you_mean(key, allowed);
    const std::string where = what.empty() ? "" : fmt::format(" for {}", what);
    std::string msg =
        guess.empty()
            ? fmt::format("unknown key \"{}\"{}; allowed keys: {}", key, where, join(allowed))
            : fmt::format("unknown key \"{}\"{}; did you mean \"{}\"?", key, where, guess);
    diag_.add(pos_of(k.source()), path(key), std::move(msg));
  }
}

}  // namespace vmlab::config
