#pragma once
// `type = "shell"` in the Vmfile: its keys and resolved settings (config side).
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/step_type.hpp"

namespace vmlab::provisioners {

struct ShellSettings final : config::StepSettings {
  std::string inline_script;   // exactly one of inline_script / path is set
  std::filesystem::path path;  // absolute (resolved relative to the Vmfile)
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  bool privileged = true;

  void to_json(nlohmann::json& out, const std::filesystem::path& project) const override;
  void digest(config::DigestBuilder& d) const override;
};

const config::StepType& shell_step_type();

}  // namespace vmlab::provisioners
