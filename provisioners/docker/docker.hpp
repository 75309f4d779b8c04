#pragma once
// `type = "docker"`: the engine, its users and daemon.json, images (load, import, build,
// pull) and containers, each part probed on its own. One read-only probe script reports the
// guest's state (docker_guest.cpp); apply() walks the parts in order, fixes only the ones
// that differ and re-checks each before the next:
//   daemon   /etc/docker/daemon.json = what is there merged with `daemon` (top-level keys
//            replaced); written only when that changes, and only then the engine reloaded
//            (SIGHUP: insecure-registries, registry-mirrors, debug, ...) or else restarted
//   engine   the engine's packages installed (apt: docker.io + apparmor, or docker-ce from
//            Docker's repository) and `docker info` answers
//   users    `docker info` answers as each user (added to the docker group)
//   load     a marker per archive sha256 in /var/lib/vmlab/docker/loaded/ names the images it
//            loaded, and they are present
//   import   the image exists with label vmlab.source = sha256(rootfs, changes)
//   build    the image exists with label vmlab.source = sha256(context tree, dockerfile, args)
//   images   present (else pulled)
//   run      the container runs, from the current id of its image, with label vmlab.spec =
//            sha256(name, image, args, command, restart); else it is started (only stopped)
//            or removed and created again. Other containers are never touched.
// Uploads go to /var/tmp/vmlab-docker/<sha256> (archives) and ctx-<sha256>/ (contexts) in
// the guest, checked before use: unchanged content is not uploaded again.
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "provisioners/docker/docker_spec.hpp"
#include "provisioners/provisioner.hpp"

namespace vmlab::provisioners {

class DockerProvisioner final : public Provisioner {
 public:
  ProbeResult probe(Context& ctx) override;
  void apply(Context& ctx) override;
};

// What the probe script found in the guest.
struct DockerImage {
  std::string id;
  std::string source;  // label vmlab.source ("" when none)
};
struct DockerContainer {
  bool running = false;
  std::string image_id;
  std::string spec;  // label vmlab.spec
};
struct DockerGuest {
  std::string os;    // PRETTY_NAME of /etc/os-release
  bool apt = false;  // apt-get is there
  std::set<std::string> missing_packages;
  std::string engine;           // server version; "" = `docker info` does not answer
  std::set<std::string> users;  // `docker info` answers as them
  bool has_daemon_file = false;
  std::string daemon_file;                            // its content
  std::map<std::string, DockerImage> images;          // RepoTags entry (image_key) -> image
  std::map<std::string, DockerContainer> containers;  // name -> container
  std::set<std::string> loaded;  // archive sha256s loaded, their images present
  std::set<std::string> cached;  // names in the upload cache
};

// The probe script: reads the guest, changes nothing. Run as root.
std::string docker_probe_script(const std::vector<std::string>& packages,
                                const std::vector<std::string>& users,
                                const std::vector<std::string>& images,
                                const std::vector<std::string>& containers);
DockerGuest parse_docker_probe(const std::string& output);
// How `docker image inspect` lists a reference in RepoTags: "debian" -> "debian:latest",
// "docker.io/library/x:1" -> "x:1"; digests and tagged names unchanged.
std::string image_key(std::string ref);

// The engine's packages: docker.io + apparmor, or docker-ce's.
std::vector<std::string> engine_packages(const std::string& engine);
// The install script (as root): apt-get update + install, engine enabled and answering.
std::string engine_install_script(const std::string& engine);

// `existing` (the guest's daemon.json, "" = none) merged with `desired` (a JSON object):
// the content to write, or "" when nothing changes. Throws Error on invalid existing JSON.
std::string merged_daemon_json(const std::string& existing, const std::string& desired);

// True when a key that changes is one dockerd cannot apply on a reload (SIGHUP).
bool daemon_needs_restart(const std::string& existing, const std::string& desired);

// Content digests (sha256 hex) that decide whether an image or container is current.
std::string import_source(const DockerImport& im, const std::string& rootfs_sha);
std::string context_sha(const std::filesystem::path& dir);  // names, modes, contents
std::string build_source(const DockerBuild& b, const std::string& ctx_sha);
std::string run_spec(const DockerRun& r);
// `docker run -d ...` for a container with its spec label.
std::string run_command(const DockerRun& r, const std::string& spec);

}  // namespace vmlab::provisioners
