#include "provisioners/shell/shell_spec.hpp"

#include <nlohmann/json.hpp>

#include "config/json.hpp"

namespace vmlab::provisioners {
namespace {

std::shared_ptr<const config::StepSettings> resolve(const config::StepInput& in) {
  auto s = std::make_shared<ShellSettings>();
  const config::Value* inl = in.get("inline");
  const config::Value* path = in.get("path");
  if (inl && path) {
    in.error(*path, "a shell step takes either \"inline\" or \"path\", not both");
  } else if (!inl && !path && !in.tainted("inline") && !in.tainted("path")) {
    in.error_at_step("a shell step needs \"inline\" (a script) or \"path\" (a script file)");
  }
  if (inl) s->inline_script = inl->text;
  if (path) s->path = in.existing_path(*path, "shell script");
  s->args = in.str_list("args");
  for (auto& [k, v] : in.str_map("env")) s->env[k] = v;
  s->privileged = in.boolean("privileged", true);
  return s;
}

}  // namespace

void ShellSettings::to_json(nlohmann::json& j, const std::filesystem::path& project) const {
  if (!inline_script.empty()) j["inline"] = inline_script;
  if (!path.empty()) j["path"] = config::shown_path(path, project);
  j["args"] = args;
  j["env"] = env;
  j["privileged"] = privileged;
}

void ShellSettings::digest(config::DigestBuilder& d) const {
  d.add(inline_script);
  if (!path.empty()) d.add_content(path);  // the script's content, not its name
  for (const auto& a : args) d.add(a);
  d.add("env");
  for (const auto& [k, v] : env) d.add(k), d.add(v);
  d.add(privileged);
}

const config::StepType& shell_step_type() {
  static const config::StepType kType{
      "shell",
      "run an inline script or a script file on the guest (args, env, sudo)",
      {
          {"inline", config::KeyType::String, {}, "", "the script text (or use \"path\")"},
          {"path",
           config::KeyType::String,
           {},
           "",
           "a script file, relative to the Vmfile (or use \"inline\")"},
          {"args", config::KeyType::StringList, {}, "[]", "arguments passed to the script"},
          {"env", config::KeyType::StringMap, {}, "{}", "environment variables for the script"},
          {"privileged", config::KeyType::Boolean, {}, "true", "run it as root (sudo)"},
      },
      &resolve,
  };
  return kType;
}

}  // namespace vmlab::provisioners
