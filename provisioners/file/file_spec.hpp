#pragma once
// `type = "file"` in the Vmfile: its keys and resolved settings (config side).
#include <filesystem>
#include <string>

#include "config/step_type.hpp"

namespace vmlab::provisioners {

struct FileSettings final : config::StepSettings {
  std::filesystem::path source;  // absolute
  std::string destination;       // absolute guest path
  bool privileged = true;        // staged in /tmp and moved into place with sudo

  void to_json(nlohmann::json& out, const std::filesystem::path& project) const override;
  void digest(config::DigestBuilder& d) const override;
};

const config::StepType& file_step_type();

}  // namespace vmlab::provisioners
