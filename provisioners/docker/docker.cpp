#include "provisioners/docker/docker.hpp"

#include <unistd.h>

#include <fstream>

#include "communicator/command.hpp"
#include "communicator/digest.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::shell_quote;

namespace {

const char* const kCache = "/var/tmp/vmlab-docker";
const char* const kLoaded = "/var/lib/vmlab/docker/loaded";

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// One run of the docker step: the settings, what the guest has, and the helpers the parts share.
class Run {
 public:
  explicit Run(Context& ctx) : ctx_(ctx), s_(ctx.step.as<DockerSettings>()) {
    users_ = s_.users;
    if (users_.empty()) users_.push_back(ctx.remote.target().user);
    for (const auto& im : s_.imports) images_.push_back(im.image);
    for (const auto& b : s_.builds) images_.push_back(b.image);
    images_.insert(images_.end(), s_.images.begin(), s_.images.end());
    for (const auto& r : s_.runs) images_.push_back(r.image), containers_.push_back(r.name);
  }

  DockerGuest read() {
    std::string out;
    communicator::ExecOptions o;
    o.sudo = true;
    o.on_stdout_line = [&](std::string_view l) { out.append(l).append("\n"); };
    const int st = ctx_.remote.exec(
        docker_probe_script(engine_packages(s_.engine), users_, images_, containers_), o);
    if (st != 0) throw Error("{}: the probe failed (exit status {})", step_title(ctx_), st);
    return parse_docker_probe(out);
  }

  // Each part that differs from the Vmfile, in apply order; empty = all in place.
  std::vector<std::string> pending(const DockerGuest& g) {
    std::vector<std::string> out;
    if (!s_.daemon_json.empty() &&
        !merged_daemon_json(g.has_daemon_file ? g.daemon_file : "", s_.daemon_json).empty())
      out.push_back("daemon.json");
    if (!g.missing_packages.empty() || g.engine.empty()) out.push_back("engine " + s_.engine);
    for (const auto& u : users_)
      if (!g.users.count(u)) out.push_back("user " + u);
    for (const auto& p : s_.load)
      if (!g.loaded.count(sha(p))) out.push_back("load " + p.filename().string());
    for (const auto& im : s_.imports)
      if (!current(g, im.image, import_source(im, sha(im.rootfs))))
        out.push_back("import " + im.image);
    for (const auto& b : s_.builds)
      if (!current(g, b.image, build_source(b, ctx_sha(b.context))))
        out.push_back("build " + b.image);
    for (const auto& i : s_.images)
      if (!g.images.count(image_key(i))) out.push_back("image " + i);
    for (const auto& r : s_.runs)
      if (!container_ok(g, r)) out.push_back("container " + r.name);
    return out;
  }

  // Runs `cmd` as root, streaming its output; throws naming `what` on a non-zero status.
  void sh(const std::string& cmd, const std::string& what) {
    auto o = ctx_.exec_options();
    o.sudo = true;
    const int st = ctx_.remote.exec(cmd, o);
    if (st != 0) throw Error("{}: {} failed (exit status {})", step_title(ctx_), what, st);
  }
  void say(const std::string& line) {
    if (ctx_.output) ctx_.output(ctx_.node.name, "docker: " + line, false);
  }
  // A part still not in place after apply_part: says why (a container's last log lines).
  [[noreturn]] void failed(const std::string& part) {
    if (part.rfind("container ", 0) == 0) {
      const std::string name = part.substr(10);
      sh("docker ps -a --filter name=^" + name +
             "$ --format '{{.Names}}: {{.Status}}'; docker logs "
             "--tail 10 " +
             shell_quote(name) + " 2>&1; true",
         "docker logs");
      throw Error("{}: container {} is not running after docker run (its last log lines are above)",
                  step_title(ctx_), name);
    }
    throw Error("{}: {}: applied, but the probe still finds it missing", step_title(ctx_), part);
  }

  const std::string& sha(const fs::path& p) {
    auto& h = sha_[p.string()];
    if (h.empty()) {
      auto d = communicator::sha256_file_hex(p);
      if (!d) throw Error("{}: cannot read {}", step_title(ctx_), p.string());
      h = *d;
    }
    return h;
  }
  const std::string& ctx_sha(const fs::path& p) {
    auto& h = sha_["ctx:" + p.string()];
    if (h.empty()) h = context_sha(p);
    return h;
  }

  // The guest path of a local file or directory in the upload cache; uploaded only when the
  // cache does not have it yet (named by content).
  std::string upload(const fs::path& local, const std::string& name, const DockerGuest& g) {
    const std::string dest = std::string(kCache) + "/" + name;
    if (g.cached.count(name)) {
      say("upload of " + local.filename().string() + " skipped: the guest has it (" +
          name.substr(0, 16) + ")");
      return dest;
    }
    const std::string part = dest + ".part";
    ctx_.remote.exec("mkdir -p " + std::string(kCache) + " && rm -rf " + shell_quote(part), {});
    say("uploading " + local.filename().string());
    ctx_.remote.upload(local, part);
    if (fs::is_directory(local))
      sh("mv " + shell_quote(part) + " " + shell_quote(dest), "storing the upload");
    else
      sh("echo " + shell_quote(name + "  " + part) + " | sha256sum -c --quiet && mv " +
             shell_quote(part) + " " + shell_quote(dest),
         "checking the upload of " + local.filename().string());
    return dest;
  }

  bool current(const DockerGuest& g, const std::string& image, const std::string& source) const {
    auto it = g.images.find(image_key(image));
    return it != g.images.end() && it->second.source == source;
  }
  bool container_ok(const DockerGuest& g, const DockerRun& r) const {
    auto c = g.containers.find(r.name);
    auto im = g.images.find(image_key(r.image));
    return c != g.containers.end() && c->second.running && c->second.spec == run_spec(r) &&
           im != g.images.end() && c->second.image_id == im->second.id;
  }

  Context& ctx_;
  const DockerSettings& s_;
  std::vector<std::string> users_, images_, containers_;
  std::map<std::string, std::string> sha_;
};

void apply_part(Run& run, const std::string& part, const DockerGuest& g) {
  const DockerSettings& s = run.s_;
  const std::string title = step_title(run.ctx_);
  if (part == "daemon.json") {
    const std::string text =
        merged_daemon_json(g.has_daemon_file ? g.daemon_file : "", s.daemon_json);
    const TempFile local(text, "vmlab-daemon");
    run.ctx_.remote.exec(std::string("mkdir -p ") + kCache, {});
    const std::string remote = std::string(kCache) + "/daemon.json.new";
    run.ctx_.remote.upload(local.path(), remote, 0644);
    std::string cmd =
        "install -D -m 0644 " + remote + " /etc/docker/daemon.json && rm -f " + remote;
    const std::string have = g.has_daemon_file ? g.daemon_file : "";
    const bool restart = daemon_needs_restart(have, s.daemon_json);
    if (!g.engine.empty())
      cmd += restart ? " && systemctl restart docker" : " && systemctl reload docker";
    run.say(g.engine.empty() ? "writing /etc/docker/daemon.json"
            : restart        ? "writing /etc/docker/daemon.json and restarting the engine"
                             : "writing /etc/docker/daemon.json and reloading the engine");
    run.sh(cmd, "writing /etc/docker/daemon.json");
  } else if (part.rfind("engine ", 0) == 0) {
    if (!g.apt)
      throw Error(
          "{}: {} ({}) has no package manager vmlab knows; the docker provisioner installs "
          "with apt (Debian, Ubuntu)",
          title, run.ctx_.node.name, g.os);
    run.say("installing " + s.engine + " with apt-get");
    run.sh(engine_install_script(s.engine), "installing " + s.engine);
  } else if (part.rfind("user ", 0) == 0) {
    const std::string u = part.substr(5);
    run.say("adding " + u + " to the docker group");
    run.sh("usermod -aG docker " + shell_quote(u), "adding " + u + " to the docker group");
  } else if (part.rfind("load ", 0) == 0) {
    for (const auto& p : s.load) {
      if (part != "load " + p.filename().string() || g.loaded.count(run.sha(p))) continue;
      const std::string f = run.upload(p, run.sha(p), g);
      const std::string marker = std::string(kLoaded) + "/" + run.sha(p);
      run.say("loading " + p.filename().string());
      run.sh("set -e; mkdir -p " + std::string(kLoaded) + "; docker load -i " + f + " > " + marker +
                 ".out; cat " + marker +
                 ".out; sed -n 's/^Loaded image: //p; s/^Loaded image ID: //p' " + marker +
                 ".out > " + marker + "; rm -f " + marker + ".out",
             "docker load of " + p.filename().string());
    }
  } else if (part.rfind("import ", 0) == 0) {
    for (const auto& im : s.imports) {
      if (part != "import " + im.image) continue;
      const std::string f = run.upload(im.rootfs, run.sha(im.rootfs), g);
      std::string cmd = "docker import --change " +
                        shell_quote("LABEL vmlab.source=" + import_source(im, run.sha(im.rootfs)));
      for (const auto& c : im.changes) cmd += " --change " + shell_quote(c);
      run.say("importing " + im.image);
      run.sh(cmd + " " + f + " " + shell_quote(im.image), "docker import of " + im.image);
    }
  } else if (part.rfind("build ", 0) == 0) {
    for (const auto& b : s.builds) {
      if (part != "build " + b.image) continue;
      const std::string dir = run.upload(b.context, "ctx-" + run.ctx_sha(b.context), g);
      std::string cmd =
          "docker build --label vmlab.source=" + build_source(b, run.ctx_sha(b.context)) + " -t " +
          shell_quote(b.image);
      if (!b.dockerfile.empty()) cmd += " -f " + shell_quote(dir + "/" + b.dockerfile);
      for (const auto& [k, v] : b.args) cmd += " --build-arg " + shell_quote(k + "=" + v);
      run.say("building " + b.image);
      run.sh(cmd + " " + dir, "docker build of " + b.image);
    }
  } else if (part.rfind("image ", 0) == 0) {
    run.say("pulling " + part.substr(6));
    run.sh("docker pull " + shell_quote(part.substr(6)), "docker pull of " + part.substr(6));
  } else if (part.rfind("container ", 0) == 0) {
    for (const auto& r : s.runs) {
      if (part != "container " + r.name) continue;
      auto c = g.containers.find(r.name);
      auto im = g.images.find(image_key(r.image));
      const std::string spec = run_spec(r);
      if (c != g.containers.end() && c->second.spec == spec && im != g.images.end() &&
          c->second.image_id == im->second.id) {
        run.say("starting container " + r.name + " (stopped)");
        run.sh("docker start " + shell_quote(r.name), "docker start " + r.name);
      } else {
        run.say((c == g.containers.end() ? "creating container " : "recreating container ") +
                r.name);
        if (c != g.containers.end())
          run.sh("docker rm -f " + shell_quote(r.name) + " >/dev/null", "docker rm " + r.name);
        run.sh(run_command(r, spec), "docker run of " + r.name);
      }
    }
  }
}

}  // namespace

ProbeResult DockerProvisioner::probe(Context& ctx) {
  Run run(ctx);
  const auto left = run.pending(run.read());
  log::debug("provision", "{}: {} part(s) to do", step_title(ctx), left.size());
  return left.empty() ? ProbeResult::Present : ProbeResult::Absent;
}

void DockerProvisioner::apply(Context& ctx) {
  Run run(ctx);
  DockerGuest g = run.read();
  const auto todo = run.pending(g);
  std::vector<std::string> done;
  for (const std::string& part : todo) {
    // A part done earlier in this run may have settled this one too (a restart, a pull).
    if (!done.empty() && !contains(run.pending(g), part)) continue;
    apply_part(run, part, g);
    g = run.read();  // re-probe this part before the next
    if (contains(run.pending(g), part)) run.failed(part);
    done.push_back(part);
  }
  std::string list;
  for (const auto& p : done) list += (list.empty() ? ": " : ", ") + p;
  run.say(fmt::format("{} part(s) changed{}", done.size(), list));
}

}  // namespace vmlab::provisioners
