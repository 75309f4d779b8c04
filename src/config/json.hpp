#pragma once
// The resolved topology as JSON, for `vmlab config --json` and for tests' golden files.
// Paths inside the project are shown relative to it ("scripts/lab/config.sh"); the project
// directory itself is "project_dir" (absolute).
#include <nlohmann/json.hpp>

#include "config/model.hpp"

namespace vmlab::config {

nlohmann::json to_json(const Topology& t);

// `p` relative to `project` when it lies inside it, else absolute (generic form).
std::string shown_path(const std::filesystem::path& p, const std::filesystem::path& project);

}  // namespace vmlab::config
