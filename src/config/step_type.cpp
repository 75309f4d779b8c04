// StepInput, DigestBuilder and the small helpers of the provisioner-type seam.
#include "config/step_type.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "config/diagnostics.hpp"
#include "core/text_util.hpp"

namespace vmlab::config {

namespace fs = std::filesystem;

const Value* Value::field(std::string_view name) const {
  for (const Field& f : fields)
    if (f.name == name) return &f.value;
  return nullptr;
}

std::string describe(const Value& v) {
  switch (v.kind) {
    case Value::Kind::String:
      return fmt::format("string \"{}\"", v.text);
    case Value::Kind::Integer:
      return fmt::format("integer {}", v.integer);
    case Value::Kind::Boolean:
      return fmt::format("boolean {}", v.boolean ? "true" : "false");
    case Value::Kind::Array:
      return "array";
    case Value::Kind::Table:
      return "table";
    case Value::Kind::Other:
      return v.text;
  }
  return v.text;
}

const char* to_string(KeyType t) {
  switch (t) {
    case KeyType::String:
      return "a string";
    case KeyType::Boolean:
      return "a boolean (true or false)";
    case KeyType::Integer:
      return "an integer";
    case KeyType::StringList:
      return "an array of strings";
    case KeyType::StringMap:
      return "a table of strings";
    case KeyType::Table:
      return "a table";
    case KeyType::TableList:
      return "an array of tables";
  }
  return "a value";
}

const std::vector<std::string>& common_step_keys() {
  static const std::vector<std::string> kKeys = {"type", "name", "after", "run"};
  return kKeys;
}

// --- DigestBuilder -------------------------------------------------------------------------

void DigestBuilder::add(std::string_view field) {
  h_ = util::fnv1a("\xff", util::fnv1a(field, h_));  // 0xff separates fields
}

namespace {

void add_file(DigestBuilder& d, const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    d.add("<unreadable>");
    return;
  }
  std::string chunk(1 << 16, '\0');
  std::string all;
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
    all.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  d.add(all);
}

}  // namespace

void DigestBuilder::add_content(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::symlink_status(p, ec);
  if (ec || !fs::exists(st)) {
    add("<missing>");
    return;
  }
  if (!fs::is_directory(fs::status(p, ec))) {
    add("f");
    add_file(*this, p);
    return;
  }
  std::vector<fs::path> entries;
  for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
       it.increment(ec))
    entries.push_back(it->path());
  std::sort(entries.begin(), entries.end());
  add("d");
  for (const fs::path& e : entries) {
    add(e.lexically_relative(p).generic_string());
    const auto est = fs::status(e, ec);
    add(std::to_string(static_cast<unsigned>(est.permissions()) & 07777u));
    if (fs::is_regular_file(est)) add_file(*this, e);
  }
}

std::string DigestBuilder::hex() const {
  return fmt::format("{:016x}", h_);
}

// --- StepInput -----------------------------------------------------------------------------

const Value* StepInput::get(std::string_view name) const {
  for (const Field& f : fields_)
    if (f.name == name) return diag_.tainted(key(name)) ? nullptr : &f.value;
  return nullptr;
}

std::string StepInput::str(std::string_view name, std::string fallback) const {
  const Value* v = get(name);
  return v && v->is_string() ? v->text : std::move(fallback);
}

bool StepInput::boolean(std::string_view name, bool fallback) const {
  const Value* v = get(name);
  return v && v->kind == Value::Kind::Boolean ? v->boolean : fallback;
}

std::vector<std::string> StepInput::str_list(std::string_view name) const {
  std::vector<std::string> out;
  if (const Value* v = get(name))
    for (const Value& i : v->items)
      if (i.is_string()) out.push_back(i.text);
  return out;
}

std::vector<std::pair<std::string, std::string>> StepInput::str_map(std::string_view name) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (const Value* v = get(name))
    for (const Field& f : v->fields)
      if (f.value.is_string()) out.emplace_back(f.name, f.value.text);
  return out;
}

std::string StepInput::key(std::string_view name) const {
  return fmt::format("{}.{}", key_, name);
}

void StepInput::error(const Value& at, std::string message) const {
  diag_.add(at.pos, at.key, std::move(message));
}

void StepInput::error(std::string_view name, std::string message) const {
  for (const Field& f : fields_)
    if (f.name == name) return diag_.add(f.value.pos, key(name), std::move(message));
  diag_.add(pos_, key_, std::move(message));
}

void StepInput::error_at_step(std::string message) const {
  diag_.add(pos_, key_, std::move(message));
}

bool StepInput::tainted(std::string_view name) const {
  return diag_.tainted(key(name));
}

fs::path StepInput::existing_path(const Value& v, std::string_view what) const {
  fs::path p = fs::path(v.text).is_absolute() ? fs::path(v.text) : project_ / v.text;
  std::error_code ec;
  if (!fs::exists(p, ec))
    error(v,
          fmt::format("{} \"{}\" does not exist (relative paths start at the Vmfile's directory)",
                      what, v.text));
  return p.lexically_normal();
}

}  // namespace vmlab::config
