// Stage 2b: provisioning steps. Reads the common keys (type, name, after, run), looks the
// type up in the provisioner table, checks the type's keys (unknown keys, value types,
// allowed values) and hands them to the type's resolve hook; names steps; runs the types'
// cross-node hooks (derived edges). No type is known here by name.
#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "config/stages.hpp"
#include "config/step_type.hpp"
#include "config/text.hpp"

namespace vmlab::config {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> type_names(const StepTypes& types, bool implemented_only) {
  std::vector<std::string> out;
  for (const StepType* t : types)
    if (!implemented_only || t->implemented) out.push_back(t->name);
  return out;
}

const StepType* find_type(const StepTypes& types, const std::string& name) {
  for (const StepType* t : types)
    if (t->name == name) return t;
  return nullptr;
}

// Checks a value against its declared type; reports at the value (or the offending item).
bool type_ok(const Value& v, const KeySpec& k, Diagnostics& diag) {
  auto wrong = [&](const Value& at, const char* expected) {
    diag.add(at.pos, at.key, fmt::format("expected {}, got {}", expected, describe(at)));
    return false;
  };
  switch (k.type) {
    case KeyType::String:
      if (!v.is_string()) return wrong(v, to_string(k.type));
      if (!k.allowed.empty() &&
          std::find(k.allowed.begin(), k.allowed.end(), v.text) == k.allowed.end()) {
        diag.add(v.pos, v.key,
                 fmt::format("invalid {} \"{}\"; allowed: {}", k.name, v.text, join(k.allowed)));
        return false;
      }
      return true;
    case KeyType::Boolean:
      return v.kind == Value::Kind::Boolean || wrong(v, to_string(k.type));
    case KeyType::Integer:
      return v.kind == Value::Kind::Integer || wrong(v, to_string(k.type));
    case KeyType::StringList: {
      if (!v.is_array()) return wrong(v, to_string(k.type));
      bool ok = true;
      for (const Value& i : v.items)
        if (!i.is_string()) ok = wrong(i, "a string");
      if (!ok) diag.taint(v.key);
      return ok;
    }
    case KeyType::StringMap: {
      if (!v.is_table()) return wrong(v, to_string(k.type));
      bool ok = true;
      for (const Field& f : v.fields)
        if (!f.value.is_string()) ok = wrong(f.value, "a string");
      if (!ok) diag.taint(v.key);
      return ok;
    }
    case KeyType::Table:
      return v.is_table() || wrong(v, to_string(k.type));
    case KeyType::TableList: {
      if (!v.is_array()) return wrong(v, to_string(k.type));
      bool ok = true;
      for (const Value& i : v.items)
        if (!i.is_table()) ok = wrong(i, "a table");
      if (!ok) diag.taint(v.key);
      return ok;
    }
  }
  return true;
}

// Unknown keys (with a did-you-mean among this type's keys) and value types.
void check_fields(const RawStep& s, const StepType& t, Diagnostics& diag) {
  std::vector<std::string> allowed = common_step_keys();
  for (const KeySpec& k : t.keys) allowed.push_back(k.name);
  for (const Field& f : s.fields) {
    const std::string path = s.key + "." + f.name;
    auto spec = std::find_if(t.keys.begin(), t.keys.end(),
                             [&](const KeySpec& k) { return k.name == f.name; });
    if (spec == t.keys.end() && f.name == "run") {  // an array `run` the type does not take
      diag.add(f.value.pos, path, fmt::format("expected a string, got {}", describe(f.value)));
      continue;
    }
    if (spec == t.keys.end()) {
      const std::string guess = did_you_mean(f.name, allowed);
      diag.add(f.key_pos, path,
               guess.empty() ? fmt::format("unknown key \"{}\" for a {} step; allowed keys: {}",
                                           f.name, t.name, join(allowed))
                             : fmt::format("unknown key \"{}\" for a {} step; did you mean \"{}\"?",
                                           f.name, t.name, guess));
      continue;
    }
    if (!type_ok(f.value, *spec, diag)) diag.taint(path);
  }
}

}  // namespace

ProvisionStep resolve_step(const RawStep& s, const fs::path& project, const StepTypes& types,
                           Diagnostics& diag) {
  ProvisionStep out;
  out.pos = s.pos;
  for (const RawItem& a : s.after) out.after.push_back(a.value);
  if (s.run.has()) {
    if (*s.run == "always")
      out.run = RunPolicy::Always;
    else if (*s.run != "once")
      diag.add(s.run.pos, s.key + ".run",
               fmt::format("invalid run \"{}\"; allowed: once, always", *s.run));
  }
  if (!s.type.has()) {
    if (!diag.tainted(s.key + ".type"))
      diag.add(s.pos, s.key,
               fmt::format("missing required key \"type\" ({})", join(type_names(types, true))));
    return out;
  }
  out.type = *s.type;
  const StepType* t = find_type(types, out.type);
  if (!t) {
    const auto known = type_names(types, true);
    const std::string guess = did_you_mean(out.type, known);
    diag.add(s.type.pos, s.key + ".type",
             guess.empty() ? fmt::format("unknown provisioner type \"{}\"; allowed: {}", out.type,
                                         join(known))
                           : fmt::format("unknown provisioner type \"{}\"; did you mean \"{}\"? "
                                         "(allowed: {})",
                                         out.type, guess, join(known)));
    return out;
  }
  if (!t->implemented)  // still checked below, so every problem shows at once
    diag.add(s.type.pos, s.key + ".type",
             fmt::format("provisioner type \"{}\" is not implemented in this version of vmlab; "
                         "available: {}",
                         out.type, join(type_names(types, true))));
  check_fields(s, *t, diag);
  out.settings = t->resolve(StepInput(s.fields, s.key, s.pos, project, diag));
  return out;
}

void name_steps(const RawNode& raw, std::vector<ProvisionStep>& steps, Diagnostics& diag) {
  std::map<std::string, int> per_type, seen_type;
  for (const auto& s : steps) ++per_type[s.type];
  std::map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const RawStep& rs = raw.provision[i];
    ProvisionStep& s = steps[i];
    const std::string type = s.type.empty() ? "step" : s.type;
    const int n = ++seen_type[s.type];
    if (rs.name.has()) {
      s.name = *rs.name;
      const bool ok = !s.name.empty() && std::all_of(s.name.begin(), s.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
      if (!ok) {
        diag.add(
            rs.name.pos, rs.key + ".name",
            fmt::format("invalid step name \"{}\": use letters, digits, '-', '_' and '.'", s.name));
        continue;
      }
    } else {
      s.name = per_type[s.type] > 1 ? fmt::format("{}-{}", type, n) : type;
    }
    auto [it, fresh] = first.emplace(s.name, i);
    if (!fresh) {
      const SourcePos pos = rs.name.has() ? rs.name.pos : rs.pos;
      diag.add(
          pos, rs.name.has() ? rs.key + ".name" : rs.key,
          fmt::format("duplicate step name \"{}\" on this node (also {}); set a distinct \"name\"",
                      s.name, raw.provision[it->second].key));
    }
  }
}

void derive_steps(Resolved& r, const StepTypes& types, Diagnostics& diag) {
  for (const StepType* t : types)
    if (t->derive) t->derive(r.topo, diag);  // also unimplemented types: every problem at once
}

}  // namespace vmlab::config
