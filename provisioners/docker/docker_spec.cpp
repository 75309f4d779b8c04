#include "provisioners/docker/docker_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "config/diagnostics.hpp"
#include "config/json.hpp"
#include "config/text.hpp"

namespace vmlab::provisioners {
namespace {

using config::KeyType;
using config::StepInput;
using config::Value;

// The keys of one entry of `import`, `build` or `run`.
struct EntryKey {
  const char* name;
  KeyType type;  // String, StringList or StringMap
  bool required;
};

const std::vector<EntryKey> kImportKeys = {{"image", KeyType::String, true},
                                           {"rootfs", KeyType::String, true},
                                           {"changes", KeyType::StringList, false}};
const std::vector<EntryKey> kBuildKeys = {{"image", KeyType::String, true},
                                          {"context", KeyType::String, true},
                                          {"dockerfile", KeyType::String, false},
                                          {"args", KeyType::StringMap, false}};
const std::vector<EntryKey> kRunKeys = {{"name", KeyType::String, true},
                                        {"image", KeyType::String, true},
                                        {"args", KeyType::StringList, false},
                                        {"command", KeyType::StringList, false},
                                        {"restart", KeyType::String, false}};

bool shape_ok(const Value& v, KeyType t) {
  switch (t) {
    case KeyType::String:
      return v.is_string();
    case KeyType::StringList:
      return v.is_array() && std::all_of(v.items.begin(), v.items.end(),
                                         [](const Value& i) { return i.is_string(); });
    case KeyType::StringMap:
      return v.is_table() &&
             std::all_of(v.fields.begin(), v.fields.end(),
                         [](const config::Field& f) { return f.value.is_string(); });
    default:
      return false;
  }
}

// Unknown keys (did-you-mean), value shapes and required keys of one entry. False when the
// entry cannot be used.
bool check_entry(const StepInput& in, const Value& entry, const char* what,
                 const std::vector<EntryKey>& keys) {
  std::vector<std::string> names;
  for (const EntryKey& k : keys) names.push_back(k.name);
  bool ok = true;
  for (const config::Field& f : entry.fields) {
    auto k =
        std::find_if(keys.begin(), keys.end(), [&](const EntryKey& e) { return f.name == e.name; });
    if (k == keys.end()) {
      Value at;
      at.pos = f.key_pos;
      at.key = f.value.key;
      const std::string guess = config::did_you_mean(f.name, names);
      in.error(at, guess.empty() ? fmt::format("unknown key \"{}\" in {}; allowed keys: {}", f.name,
                                               what, config::join(names))
                                 : fmt::format("unknown key \"{}\" in {}; did you mean \"{}\"?",
                                               f.name, what, guess));
      ok = false;
    } else if (!shape_ok(f.value, k->type)) {
      in.error(f.value,
               fmt::format("expected {}, got {}", config::to_string(k->type), describe(f.value)));
      ok = false;
    }
  }
  for (const EntryKey& k : keys)
    if (k.required && !entry.field(k.name)) {
      in.error(entry, fmt::format("{} needs \"{}\"", what, k.name));
      ok = false;
    }
  return ok;
}

std::vector<std::string> strings(const Value* v) {
  std::vector<std::string> out;
  if (v)
    for (const Value& i : v->items) out.push_back(i.text);
  return out;
}

bool valid_container_name(const std::string& n) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (n.empty() || !word(n[0])) return false;
  return std::all_of(n.begin(), n.end(),
                     [&](char c) { return word(c) || c == '_' || c == '.' || c == '-'; });
}

// The `daemon` table as JSON; values TOML has and JSON does not are errors.
nlohmann::json to_json_value(const StepInput& in, const Value& v, bool& ok) {
  switch (v.kind) {
    case Value::Kind::String:
      return v.text;
    case Value::Kind::Integer:
      return v.integer;
    case Value::Kind::Boolean:
      return v.boolean;
    case Value::Kind::Array: {
      auto a = nlohmann::json::array();
      for (const Value& i : v.items) a.push_back(to_json_value(in, i, ok));
      return a;
    }
    case Value::Kind::Table: {
      auto o = nlohmann::json::object();
      for (const config::Field& f : v.fields) o[f.name] = to_json_value(in, f.value, ok);
      return o;
    }
    case Value::Kind::Other:
      break;
  }
  in.error(v,
           fmt::format("daemon.json takes strings, integers, booleans, arrays and tables; got {}",
                       describe(v)));
  ok = false;
  return nullptr;
}

const Value* list(const StepInput& in, const char* key) {
  const Value* v = in.get(key);
  return v && v->is_array() ? v : nullptr;
}

std::shared_ptr<const config::StepSettings> resolve(const StepInput& in) {
  auto s = std::make_shared<DockerSettings>();
  s->engine = in.str("engine", "docker.io");
  s->users = in.str_list("users");
  if (const Value* d = in.get("daemon")) {
    bool ok = true;
    const nlohmann::json j = to_json_value(in, *d, ok);
    if (ok) s->daemon_json = j.dump();
  }
  s->images = in.str_list("images");
  if (const Value* v = list(in, "load"))
    for (const Value& i : v->items) s->load.push_back(in.existing_path(i, "docker archive"));
  if (const Value* v = list(in, "import"))
    for (const Value& e : v->items) {
      if (!check_entry(in, e, "an import entry", kImportKeys)) continue;
      DockerImport im{e.field("image")->text, in.existing_path(*e.field("rootfs"), "rootfs"),
                      strings(e.field("changes"))};
      if (std::filesystem::is_directory(im.rootfs))
        in.error(*e.field("rootfs"), "rootfs must be a tarball (docker import), not a directory");
      s->imports.push_back(std::move(im));
    }
  if (const Value* v = list(in, "build"))
    for (const Value& e : v->items) {
      if (!check_entry(in, e, "a build entry", kBuildKeys)) continue;
      DockerBuild b{
          e.field("image")->text, in.existing_path(*e.field("context"), "build context"), "", {}};
      if (const Value* df = e.field("dockerfile")) {
        b.dockerfile = df->text;
        if (!std::filesystem::exists(b.context / b.dockerfile))
          in.error(*df,
                   fmt::format("dockerfile \"{}\" does not exist in the build context", df->text));
      } else if (std::filesystem::is_directory(b.context) &&
                 !std::filesystem::exists(b.context / "Dockerfile")) {
        in.error(*e.field("context"), "the build context has no Dockerfile (set \"dockerfile\")");
      }
      if (std::filesystem::exists(b.context) && !std::filesystem::is_directory(b.context))
        in.error(*e.field("context"), "a build context must be a directory");
      if (const Value* a = e.field("args"))
        for (const config::Field& f : a->fields) b.args.emplace_back(f.name, f.value.text);
      std::sort(b.args.begin(), b.args.end());
      s->builds.push_back(std::move(b));
    }
  if (const Value* v = list(in, "run"))
    for (const Value& e : v->items) {
      if (!check_entry(in, e, "a run entry", kRunKeys)) continue;
      DockerRun r;
      const Value& name = *e.field("name");
      r.name = name.text;
      r.name_pos = name.pos;
      r.name_key = name.key;
      if (!valid_container_name(r.name))
        in.error(name, fmt::format("invalid container name \"{}\"; use letters, digits, '_', '.' "
                                   "and '-', starting with a letter or digit",
                                   r.name));
      r.image = e.field("image")->text;
      r.args = strings(e.field("args"));
      r.command = strings(e.field("command"));
      if (const Value* rs = e.field("restart")) {
        r.restart = rs->text;
        if (!valid_restart(r.restart))
          in.error(*rs, fmt::format("invalid restart \"{}\"; allowed: no, always, unless-stopped, "
                                    "on-failure, on-failure:N",
                                    r.restart));
      }
      s->runs.push_back(std::move(r));
    }
  return s;
}

// One container name per node, across all its docker steps (docker has one namespace).
void derive(config::Topology& topo, config::Diagnostics& diag) {
  for (const auto& n : topo.nodes) {
    std::map<std::string, std::string> seen;  // container name -> where it is first
    for (const auto& st : n.provision) {
      if (st.type != "docker" || !st.settings) continue;
      for (const DockerRun& r : st.as<DockerSettings>().runs) {
        auto [it, fresh] = seen.emplace(r.name, r.name_key);
        if (!fresh)
          diag.add(r.name_pos, r.name_key,
                   fmt::format("container \"{}\" is already defined on node {} ({})", r.name,
                               n.name, it->second));
      }
    }
  }
}

}  // namespace

bool valid_restart(const std::string& p) {
  if (p == "no" || p == "always" || p == "unless-stopped" || p == "on-failure") return true;
  const std::string pre = "on-failure:";
  return p.size() > pre.size() && p.compare(0, pre.size(), pre) == 0 &&
         std::all_of(p.begin() + static_cast<long>(pre.size()), p.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

void DockerSettings::to_json(nlohmann::json& j, const std::filesystem::path& project) const {
  j["engine"] = engine;
  j["users"] = users;
  if (!daemon_json.empty()) j["daemon"] = nlohmann::json::parse(daemon_json);
  j["images"] = images;
  auto& l = j["load"] = nlohmann::json::array();
  for (const auto& p : load) l.push_back(config::shown_path(p, project));
  auto& im = j["import"] = nlohmann::json::array();
  for (const auto& i : imports)
    im.push_back({{"image", i.image},
                  {"rootfs", config::shown_path(i.rootfs, project)},
                  {"changes", i.changes}});
  auto& b = j["build"] = nlohmann::json::array();
  for (const auto& x : builds) {
    nlohmann::json args = nlohmann::json::object();
    for (const auto& [k, v] : x.args) args[k] = v;
    b.push_back({{"image", x.image},
                 {"context", config::shown_path(x.context, project)},
                 {"dockerfile", x.dockerfile.empty() ? "Dockerfile" : x.dockerfile},
                 {"args", args}});
  }
  auto& r = j["run"] = nlohmann::json::array();
  for (const auto& x : runs)
    r.push_back({{"name", x.name},
                 {"image", x.image},
                 {"args", x.args},
                 {"command", x.command},
                 {"restart", x.restart}});
}

void DockerSettings::digest(config::DigestBuilder& d) const {
  d.add(engine);
  d.add("users");
  for (const auto& u : users) d.add(u);
  d.add(daemon_json);
  d.add("images");
  for (const auto& i : images) d.add(i);
  d.add("load");
  for (const auto& p : load) d.add_content(p);
  d.add("import");
  for (const auto& i : imports) {
    d.add(i.image), d.add_content(i.rootfs);
    for (const auto& c : i.changes) d.add(c);
  }
  d.add("build");
  for (const auto& b : builds) {
    d.add(b.image), d.add_content(b.context), d.add(b.dockerfile);
    for (const auto& [k, v] : b.args) d.add(k), d.add(v);
  }
  d.add("run");
  for (const auto& r : runs) {
    d.add(r.name), d.add(r.image), d.add(r.restart);
    for (const auto& a : r.args) d.add(a);
    d.add("command");
    for (const auto& c : r.command) d.add(c);
  }
}

const config::StepType& docker_step_type() {
  static const config::StepType kType{
      "docker",
      "install Docker; load, import, build and pull images; keep containers running",
      {
          {"engine",
           KeyType::String,
           {"docker.io", "docker-ce"},
           "docker.io",
           "docker.io: the distribution's package; docker-ce: Docker's apt repository (online)"},
          {"users", KeyType::StringList, {}, "the login user", "users added to the docker group"},
          {"daemon", KeyType::Table, {}, "", "merged into /etc/docker/daemon.json"},
          {"images", KeyType::StringList, {}, "[]", "images pulled if missing"},
          {"load", KeyType::StringList, {}, "[]", "image archives from the project (docker load)"},
          {"import", KeyType::TableList, {}, "[]", "{image, rootfs, changes}: docker import"},
          {"build",
           KeyType::TableList,
           {},
           "[]",
           "{image, context, dockerfile, args}: docker build"},
          {"run",
           KeyType::TableList,
           {},
           "[]",
           "{name, image, args, command, restart}: containers"},
      },
      &resolve,
      &derive,
  };
  return kType;
}

}  // namespace vmlab::provisioners
