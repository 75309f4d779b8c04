#pragma once
// `type = "docker"` in the Vmfile: its keys and resolved settings (config side). Every key is
// optional; `type = "docker"` alone installs and starts the engine. What the provisioner does
// with each part is in docker.hpp.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "config/step_type.hpp"

namespace vmlab::provisioners {

struct DockerImport {  // `docker import ROOTFS IMAGE` (a tarball of a root filesystem)
  std::string image;
  std::filesystem::path rootfs;      // absolute, a local file
  std::vector<std::string> changes;  // --change lines ("CMD [\"sh\"]", "ENV A=b")
};

struct DockerBuild {  // context uploaded, `docker build -t IMAGE`
  std::string image;
  std::filesystem::path context;  // absolute, a local directory
  std::string dockerfile;         // relative to the context; "" = Dockerfile
  std::vector<std::pair<std::string, std::string>> args;  // --build-arg K=V, sorted by key
};

struct DockerRun {  // one container, kept running
  std::string name;
  std::string image;
  std::vector<std::string> args;     // `docker run` options before the image
  std::vector<std::string> command;  // after the image; empty = the image's CMD
  std::string restart = "unless-stopped";
  config::SourcePos name_pos;  // for the derived one-name-per-node check
  std::string name_key;
};

struct DockerSettings final : config::StepSettings {
  std::string engine = "docker.io";         // docker.io | docker-ce
  std::vector<std::string> users;           // empty = the login user
  std::string daemon_json;                  // "" = no `daemon` key; else a JSON object (dumped)
  std::vector<std::string> images;          // pulled if missing
  std::vector<std::filesystem::path> load;  // archives for `docker load`, absolute
  std::vector<DockerImport> imports;
  std::vector<DockerBuild> builds;
  std::vector<DockerRun> runs;

  void to_json(nlohmann::json& out, const std::filesystem::path& project) const override;
  void digest(config::DigestBuilder& d) const override;
};

const config::StepType& docker_step_type();

// The restart policies `run` accepts ("on-failure:N" too).
bool valid_restart(const std::string& policy);

}  // namespace vmlab::provisioners
