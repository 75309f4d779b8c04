// The guest side of the docker provisioner: the probe script and its parser, the install
// script, daemon.json merging and the digests that say whether an image or container is current.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "provisioners/docker/docker.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::shell_quote;

namespace {

std::string words(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += " " + shell_quote(i);
  return out;
}

std::string sha_of_fields(const std::vector<std::string>& fields) {
  std::string all;
  for (const auto& f : fields) all += std::to_string(f.size()) + ":" + f + "\n";
  return communicator::to_hex(communicator::sha256(all));
}

std::string label(const std::string& json_labels, const char* name) {
  try {
    const auto j = nlohmann::json::parse(json_labels);
    if (j.is_object() && j.contains(name) && j[name].is_string()) return j[name];
  } catch (const nlohmann::json::exception&) {
  }
  return "";
}

}  // namespace

// Read-only; every question in one exec (each docker CLI call costs 1.5-5 s under TCG).
// clang-format off
const char* const kProbe = R"SH(set -u
( . /etc/os-release 2>/dev/null && echo "os ${PRETTY_NAME:-$ID}" ) || echo 'os unknown'
command -v apt-get >/dev/null 2>&1 && echo apt
for p in @PACKAGES@; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' || echo "nopkg $p"
done
[ -f /etc/docker/daemon.json ] && echo "daemon $(base64 -w0 /etc/docker/daemon.json)"
for f in /var/tmp/vmlab-docker/*; do [ -e "$f" ] && echo "cached ${f##*/}"; done
command -v docker >/dev/null 2>&1 || exit 0
v=$(timeout 60 docker version --format '{{.Server.Version}}' 2>/dev/null) || exit 0
echo "engine $v"
for u in @USERS@; do
  if [ "$u" = root ]; then echo "user $u"; continue; fi
  runuser -u "$u" -- timeout 60 docker version >/dev/null 2>&1 && echo "user $u"
done
docker image inspect --format '{{.Id}} {{json .RepoTags}} {{json .Config.Labels}}' @IMAGES@ \
  2>/dev/null | sed 's/^/image /'
docker inspect --type container --format \
  '{{.Name}} {{.State.Running}} {{.Image}} {{json .Config.Labels}}' @CONTAINERS@ \
  2>/dev/null | sed 's/^/container /'
for f in /var/lib/vmlab/docker/loaded/*; do
  [ -f "$f" ] || continue; ok=1
  for i in $(cat "$f"); do docker image inspect "$i" >/dev/null 2>&1 || ok=; done
  [ -n "$ok" ] && echo "loaded ${f##*/}"
done
exit 0
)SH";
// clang-format on

std::string docker_probe_script(const std::vector<std::string>& packages,
                                const std::vector<std::string>& users,
                                const std::vector<std::string>& images,
                                const std::vector<std::string>& containers) {
  std::string s = kProbe;
  for (const auto& [mark, items] : {std::pair{"@PACKAGES@", &packages},
                                    {"@USERS@", &users},
                                    {"@IMAGES@", &images},
                                    {"@CONTAINERS@", &containers}}) {
    std::string w = words(*items);
    s.replace(s.find(mark), std::string(mark).size(), w.empty() ? "" : w.substr(1));
  }
  return s;
}

std::string image_key(std::string ref) {
  for (const char* pre : {"docker.io/library/", "docker.io/"})
    if (ref.rfind(pre, 0) == 0) ref.erase(0, std::string(pre).size());
  const auto slash = ref.rfind('/');
  const std::string last = slash == std::string::npos ? ref : ref.substr(slash + 1);
  if (ref.find('@') != std::string::npos || last.find(':') != std::string::npos) return ref;
  return ref + ":latest";
}

DockerGuest parse_docker_probe(const std::string& output) {
  DockerGuest g;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string tag, a, b, c;
    ls >> tag;
    std::string rest;
    if (tag == "os") {
      std::getline(ls >> std::ws, g.os);
    } else if (tag == "apt") {
      g.apt = true;
    } else if (tag == "nopkg" && ls >> a) {
      g.missing_packages.insert(a);
    } else if (tag == "daemon" && ls >> a) {
      g.has_daemon_file = true;
      g.daemon_file = communicator::base64_decode(a).value_or("");
    } else if (tag == "daemon") {
      g.has_daemon_file = true;  // an empty file
    } else if (tag == "cached" && ls >> a) {
      g.cached.insert(a);
    } else if (tag == "engine" && ls >> a) {
      g.engine = a;
    } else if (tag == "user" && ls >> a) {
      g.users.insert(a);
    } else if (tag == "image" && ls >> a) {  // ID ["tag",...] {labels}
      std::getline(ls >> std::ws, rest);
      const auto split = rest.find("] ");
      if (split == std::string::npos) continue;
      const DockerImage im{a, label(rest.substr(split + 2), "vmlab.source")};
      for (const auto& t : nlohmann::json::parse(rest.substr(0, split + 1), nullptr, false))
        if (t.is_string()) g.images[t.get<std::string>()] = im;
    } else if (tag == "container" && ls >> a >> b >> c) {  // /NAME running ID {labels}
      std::getline(ls >> std::ws, rest);
      g.containers[a.substr(a.front() == '/' ? 1 : 0)] = {b == "true", c,
                                                          label(rest, "vmlab.spec")};
    } else if (tag == "loaded" && ls >> a) {
      g.loaded.insert(a);
    }
  }
  return g;
}

std::vector<std::string> engine_packages(const std::string& engine) {
  if (engine == "docker-ce") return {"docker-ce", "docker-ce-cli", "containerd.io", "apparmor"};
  return {"docker.io", "apparmor"};  // without apparmor, `docker run` fails on Debian
}

std::string engine_install_script(const std::string& engine) {
  std::string s =
      "set -eu\n"
      "export DEBIAN_FRONTEND=noninteractive\n"
      "apt_get() { apt-get -q -y -o DPkg::Lock::Timeout=300 \"$@\"; }\n";
  if (engine == "docker-ce")
    s +=
        "apt_get update\n"
        "apt_get install --no-install-recommends ca-certificates curl\n"
        ". /etc/os-release\n"
        "install -m 0755 -d /etc/apt/keyrings\n"
        "curl -fsSL \"https://download.docker.com/linux/$ID/gpg\" -o /etc/apt/keyrings/docker.asc\n"
        "chmod a+r /etc/apt/keyrings/docker.asc\n"
        "echo \"deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] "
        "https://download.docker.com/linux/$ID $VERSION_CODENAME stable\" "
        "> /etc/apt/sources.list.d/docker.list\n";
  s += "apt_get update\n"
       "apt_get install --no-install-recommends" +
       words(engine_packages(engine)) +
       "\n"
       "systemctl enable --now docker >/dev/null 2>&1 || systemctl start docker\n"
       "i=0; until docker info >/dev/null 2>&1; do\n"
       "  i=$((i+1)); [ $i -lt 60 ] || { echo 'docker info does not answer after 60 s' >&2; exit "
       "1; }\n"
       "  sleep 1\n"
       "done\n"
       "echo \"docker: engine $(docker info --format '{{.ServerVersion}}') is running\"\n";
  return s;
}

std::string merged_daemon_json(const std::string& existing, const std::string& desired) {
  nlohmann::json have = nlohmann::json::object();
  const bool blank = std::all_of(existing.begin(), existing.end(), [](char ch) {
    return std::isspace(static_cast<unsigned char>(ch));
  });
  if (!blank) {
    try {
      have = nlohmann::json::parse(existing);
    } catch (const nlohmann::json::exception& e) {
      throw Error("/etc/docker/daemon.json in the guest is not valid JSON ({}); fix or remove it",
                  e.what());
    }
    if (!have.is_object()) throw Error("/etc/docker/daemon.json in the guest is not a JSON object");
  }
  nlohmann::json want = have;
  const auto add = nlohmann::json::parse(desired);
  for (const auto& [k, v] : add.items()) want[k] = v;
  if (!blank && want == have) return "";
  return want.dump(2) + "\n";
}

bool daemon_needs_restart(const std::string& existing, const std::string& desired) {
  // dockerd applies these on SIGHUP (`systemctl reload docker`); anything else needs a restart.
  static const std::set<std::string> kLive = {"debug",
                                              "labels",
                                              "live-restore",
                                              "max-concurrent-downloads",
                                              "max-concurrent-uploads",
                                              "max-download-attempts",
                                              "default-runtime",
                                              "runtimes",
                                              "authorization-plugins",
                                              "insecure-registries",
                                              "registry-mirrors",
                                              "shutdown-timeout",
                                              "features",
                                              "builder"};
  const auto have = nlohmann::json::parse(existing.empty() ? "{}" : existing, nullptr, false);
  const auto want = nlohmann::json::parse(desired);
  for (const auto& [k, v] : want.items())
    if (!kLive.count(k) && (!have.is_object() || !have.contains(k) || have[k] != v)) return true;
  return false;
}

std::string import_source(const DockerImport& im, const std::string& rootfs_sha) {
  std::vector<std::string> f{"import", rootfs_sha};
  f.insert(f.end(), im.changes.begin(), im.changes.end());
  return sha_of_fields(f);
}

std::string context_sha(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const auto& e : fs::recursive_directory_iterator(dir)) entries.push_back(e.path());
  std::sort(entries.begin(), entries.end());
  std::vector<std::string> f;
  for (const auto& e : entries) {
    f.push_back(e.lexically_relative(dir).generic_string());
    f.push_back(std::to_string(static_cast<unsigned>(fs::status(e).permissions()) & 07777u));
    if (fs::is_regular_file(e)) {
      auto h = communicator::sha256_file_hex(e);
      if (!h) throw Error("cannot read {}", e.string());
      f.push_back(*h);
    }
  }
  return sha_of_fields(f);
}

std::string build_source(const DockerBuild& b, const std::string& ctx_sha) {
  std::vector<std::string> f{"build", ctx_sha, b.dockerfile};
  for (const auto& [k, v] : b.args) f.push_back(k), f.push_back(v);
  return sha_of_fields(f);
}

std::string run_spec(const DockerRun& r) {
  std::vector<std::string> f{"run", r.name, r.image, r.restart, "args"};
  f.insert(f.end(), r.args.begin(), r.args.end());
  f.push_back("command");
  f.insert(f.end(), r.command.begin(), r.command.end());
  return sha_of_fields(f);
}

std::string run_command(const DockerRun& r, const std::string& spec) {
  return "docker run -d --name " + shell_quote(r.name) + " --restart " + shell_quote(r.restart) +
         " --label vmlab.spec=" + spec + words(r.args) + " " + shell_quote(r.image) +
         words(r.command);
}

}  // namespace vmlab::provisioners
