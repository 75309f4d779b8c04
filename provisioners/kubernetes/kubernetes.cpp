#include "provisioners/kubernetes/kubernetes.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "communicator/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "state/filenames.hpp"

namespace vmlab::provisioners {
namespace fs = std::filesystem;
using communicator::ExecOptions;
using communicator::Remote;

fs::path k8s_bundle_dir(const std::string& version) {
  return fs::path(settings::text("VMLAB_CACHE")) / "k8s" / ("v" + version);
}

JoinCommand parse_join_command(const std::string& out) {
  std::istringstream in(out);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  JoinCommand j;
  for (std::size_t i = 0; i + 1 < w.size(); ++i) {
    if (w[i] == "join" && j.endpoint.empty()) j.endpoint = w[i + 1];
    if (w[i] == "--token") j.token = w[i + 1];
    if (w[i] == "--discovery-token-ca-cert-hash") j.ca_hash = w[i + 1];
  }
  return j;
}

std::vector<std::string> route_commands(const std::string& table, const std::string& self) {
  std::vector<std::string> out;
  std::istringstream in(table);
  for (std::string line; std::getline(in, line);) {
    std::istringstream l(line);
    std::string name, cidr, ip;
    if (!(l >> name >> cidr >> ip) || name == self) continue;
    if (cidr.find('/') == std::string::npos || ip.empty()) continue;
    out.push_back(fmt::format("ip route replace {} via {}", cidr, ip));
  }
  return out;
}

namespace {

const char* const kAdminConf = "/etc/kubernetes/admin.conf";
const char* const kGuestTmp = "/var/tmp/vmlab-k8s";
const char* const kBuildBundle = "bundles/kubernetes/build-bundle.sh";

// One worker joins at a time (per vmup process): a kubelet's first start and TLS bootstrap
// load the control plane, and under TCG on 2 cores two at once left its API server answering
// nothing for minutes (both joins timed out). A waiting worker holds no session to the plane.
// A waiting worker stops at a first Ctrl-C; the join in progress finishes its command.
std::timed_mutex& join_slot() {
  static std::timed_mutex m;
  return m;
}

fs::path kubeconfig_path(const fs::path& project) {
  return filenames::kubeconfig(project);
}

// The control plane's node and step of this lab (the derive hook guarantees exactly one when a
// worker exists).
struct Plane {
  const config::Node* node = nullptr;
  const config::ProvisionStep* step = nullptr;
};
Plane find_plane(const Context& ctx) {
  if (ctx.step.as<KubernetesSettings>().role == "control-plane") return {&ctx.node, &ctx.step};
  if (!ctx.topo)
    throw Error("{}: needs the lab's topology to find its control plane", step_title(ctx));
  for (const auto& n : ctx.topo->nodes)
    for (const auto& st : n.provision)
      if (st.type == "kubernetes" && st.settings &&
          st.as<KubernetesSettings>().role == "control-plane")
        return {&n, &st};
  throw Error("{}: the lab has no kubernetes control plane", step_title(ctx));
}

class Run {
 public:
  explicit Run(Context& ctx) : ctx_(ctx), s_(ctx.step.as<KubernetesSettings>()) {
    if (ctx.node.addresses.empty())
      throw Error("{}: {} has no lab address (set \"ip\")", step_title(ctx), ctx.node.name);
    ip_ = ctx.node.addresses[0].ip;
  }

  void say(const std::string& line) const {
    if (ctx_.output) ctx_.output(ctx_.node.name, "kubernetes: " + line, false);
  }
  std::map<std::string, std::string> env() const {
    return {{"NODE_IP", ip_},        {"NODE_NAME", ctx_.node.name},
            {"VERSION", s_.version}, {"POD_CIDR", s_.pod_cidr},
            {"ROLE", s_.role},       {"LOGIN_USER", ctx_.remote.target().user}};
  }
  // Runs a script as root on `r`, streaming output; returns its exit status.
  int stream(Remote& r, const std::string& script, std::map<std::string, std::string> extra = {},
             bool secret = false) const {
    ExecOptions o = ctx_.exec_options();
    o.sudo = true;
    o.env = env();
    for (auto& [k, v] : extra) o.env[k] = v;
    o.secret = secret;
    if (secret) o.secret_env = {"JOIN_TOKEN"};
    return r.exec(script, o);
  }
  // Runs a command as root on `r` and returns (status, stdout); stderr goes to the output.
  std::pair<int, std::string> capture(
      Remote& r, const std::string& cmd, bool secret = false,
      std::chrono::seconds timeout = std::chrono::seconds(120)) const {
    ExecOptions o = ctx_.exec_options();
    std::string out;
    o.sudo = true;
    o.env = env();
    o.secret = secret;
    o.timeout = timeout;
    o.on_stdout_line = [&out](std::string_view l) { out.append(l).append("\n"); };
    if (secret) o.on_stderr_line = {};
    const int st = r.exec(cmd, o);
    return {st, out};
  }
  void must(Remote& r, const std::string& script, const std::string& what,
            std::map<std::string, std::string> extra = {}) const {
    const int st = stream(r, script, std::move(extra));
    if (st != 0) throw Error("{}: {} failed (exit status {})", step_title(ctx_), what, st);
  }
  // The last kubelet/apiserver log lines of node `r`, into the output.
  void logs(Remote& r) const {
    try {
      stream(r, k8s_scripts::kLogs);
    } catch (const std::exception& e) {
      say(std::string("could not read the logs: ") + e.what());
    }
  }

  // The role's images from the bundle's manifest.
  std::vector<std::string> images(const fs::path& bundle) const {
    std::vector<std::string> out;
    std::ifstream in(bundle / "manifest.json");
    const auto m = nlohmann::json::parse(in, nullptr, false);
    if (m.is_discarded() || !m.contains("images"))
      throw Error("{}: {} is not a bundle manifest; run {} again", step_title(ctx_),
                  (bundle / "manifest.json").string(), kBuildBundle);
    for (const auto& im : m["images"]) {
      bool mine = false;
      for (const auto& r : im.value("roles", nlohmann::json::array()))
        if (r.get<std::string>() == s_.role) mine = true;
      if (mine) out.push_back(im.value("image", ""));
    }
    return out;
  }
  std::vector<std::string> image_files(const fs::path& bundle) const {
    std::vector<std::string> out;
    std::ifstream in(bundle / "manifest.json");
    const auto m = nlohmann::json::parse(in, nullptr, false);
    for (const auto& im : m["images"])
      for (const auto& r : im.value("roles", nlohmann::json::array()))
        if (r.get<std::string>() == s_.role) out.push_back(im.value("file", ""));
    return out;
  }

  fs::path check_bundle() const {
    if (s_.source != "bundle")
      throw Error(
          "{}: source \"{}\" is not implemented in this build: it needs the Kubernetes apt "
          "repository (internet); use source = \"bundle\"",
          step_title(ctx_), s_.source);
    if (s_.cni != "kubenet")
      throw Error(
          "{}: cni \"{}\" is not implemented in this build (its manifests need a registry "
          "the lab cannot reach, not verified offline); use cni = \"kubenet\"",
          step_title(ctx_), s_.cni);
    const fs::path b = k8s_bundle_dir(s_.version);
    for (const char* f : {"manifest.json", "bin.tar.gz", "images/import.sh"})
      if (!fs::exists(b / f))
        throw Error(
            "{}: the Kubernetes {} bundle is missing ({} not found); build it once with "
            "`{}` (as root, ~25 min cold, cached afterwards)",
            step_title(ctx_), s_.version, (b / f).string(), kBuildBundle);
    return b;
  }

  void prep(const fs::path& bundle) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto imgs = images(bundle);
    std::string list;
    for (const auto& i : imgs) list += (list.empty() ? "" : " ") + i;
    std::set<std::string> need;
    ExecOptions o = ctx_.exec_options();
    o.sudo = true;
    o.env = env();
    o.env["IMAGES"] = list;
    auto sink = o.on_stdout_line;
    o.on_stdout_line = [&need, sink](std::string_view l) {
      if (l.rfind("vmlab-need: ", 0) == 0)
        need.insert(std::string(l.substr(12)));
      else if (sink)
        sink(l);
    };
    int st = ctx_.remote.exec(k8s_scripts::kPrep, o);
    if (st != 0) throw Error("{}: node preparation failed (exit status {})", step_title(ctx_), st);
    ctx_.remote.exec(std::string("mkdir -p ") + kGuestTmp, {});
    if (need.count("bin")) {
      say("uploading kubeadm + kubelet (bin.tar.gz, 44 MB; ~15 s per 44 MB over SSH under TCG)");
      const std::string dst = std::string(kGuestTmp) + "/bin.tar.gz";
      ctx_.remote.upload(bundle / "bin.tar.gz", dst, 0600);
      must(ctx_.remote, k8s_scripts::kInstallBin, "installing kubeadm and kubelet",
           {{"BIN_TGZ", dst}});
    }
    if (need.count("images")) {
      const std::string dir = std::string(kGuestTmp) + "/images";
      ctx_.remote.exec("rm -rf " + dir + " && mkdir -p " + dir, {});
      ctx_.remote.upload(bundle / "images" / "import.sh", dir + "/import.sh", 0755);
      for (const auto& f : image_files(bundle)) {
        say("uploading " + f);
        ctx_.remote.upload(bundle / f, dir + "/" + fs::path(f).filename().string(), 0644);
      }
      must(ctx_.remote, k8s_scripts::kImport, "importing the images",
           {{"IMPORT_DIR", dir}, {"IMAGES", list}});
    }
    say(fmt::format("node preparation took {} s", secs(t0)));
  }

  static long secs(std::chrono::steady_clock::time_point t0) {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }

  void init() {
    const auto t0 = std::chrono::steady_clock::now();
    const int st = stream(ctx_.remote, k8s_scripts::kInit);
    if (st == 10)
      throw Error("{}: kubeadm init: a preflight error (see the [ERROR ...] lines above)",
                  step_title(ctx_));
    if (st == 11) {
      logs(ctx_.remote);
      throw Error(
          "{}: kubeadm init: the API server never became healthy (its last log lines "
          "and the kubelet's are above; /var/log/vmlab-kubeadm-init.log in the guest)",
          step_title(ctx_));
    }
    if (st != 0) {
      logs(ctx_.remote);
      throw Error(
          "{}: kubeadm init failed (exit status {}; /var/log/vmlab-kubeadm-init.log in "
          "the guest)",
          step_title(ctx_), st);
    }
    say(fmt::format("control plane ready after {} s", secs(t0)));
    fetch_kubeconfig();
  }

  void fetch_kubeconfig() {
    const std::string user = ctx_.remote.target().user;
    const std::string src =
        user == "root" ? "/root/.kube/config" : "/home/" + user + "/.kube/config";
    const fs::path dst = kubeconfig_path(ctx_.project_dir);
    fs::create_directories(dst.parent_path());
    // The path of the login user's home as the guest says it.
    auto [st, home] = capture(ctx_.remote, "getent passwd \"$LOGIN_USER\" | cut -d: -f6");
    std::string h = home.substr(0, home.find('\n'));
    ctx_.remote.download(st == 0 && !h.empty() ? h + "/.kube/config" : src, dst, 0600);
    say("admin kubeconfig fetched to " + dst.string() + " (`vmlab kubeconfig` prints the path)");
  }

  // The join: a fresh command from the control plane, reset of earlier state, join, Ready.
  // A join that timed out is tried once more with a new token (the script resets what the
  // first attempt left): under TCG on a loaded host the kubelet's TLS bootstrap once outlasted
  // kubeadm's fixed wait while the control plane was slow to approve the node's certificate.
  void join(const Plane& plane) {
    std::unique_lock slot(join_slot(), std::defer_lock);
    if (!slot.try_lock()) {
      say("waiting for another worker's join to finish (one join at a time)");
      while (!slot.try_lock_for(std::chrono::milliseconds(250)))
        if (ctx_.check_cancel) ctx_.check_cancel();
    }
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      const int st = join_once(plane);
      if (st == 0) break;
      if (st == 10)
        throw Error("{}: kubeadm join: a preflight error (see the [ERROR ...] lines above)",
                    step_title(ctx_));
      if (st == 11 && attempt < kAttempts) {
        say(
            fmt::format("the join timed out (attempt {} of {}): resetting and joining again "
                        "with a new token",
                        attempt, kAttempts));
        continue;
      }
      logs(ctx_.remote);
      throw Error(
          "{}: kubeadm join {} (exit status {}{}; the kubelet's last log lines are above; "
          "/var/log/vmlab-kubeadm-join.log in the guest). The next `vmup` resets and "
          "joins again",
          step_title(ctx_), st == 11 ? "timed out" : "failed", st,
          attempt > 1 ? fmt::format(", {} attempts", attempt) : "");
    }
    say(fmt::format("joined after {} s; waiting for the node to be Ready", secs(t0)));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    for (;;) {
      try {
        auto cp = ctx_.peer(plane.node->name, plane.step->name);
        if (node_ready(*cp)) break;
      } catch (const SshError& e) {  // a slow API server: asked again until the deadline
        say(fmt::format("asking {} whether the node is Ready: {}", plane.node->name, e.what()));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        logs(ctx_.remote);
        throw Error(
            "{}: joined, but the node is not Ready after 10 min (the kubelet's last log "
            "lines are above)",
            step_title(ctx_));
      }
      ctx_.pause(std::chrono::seconds(5));
    }
    say(fmt::format("{} Ready, {} s after the join started", ctx_.node.name, secs(t0)));
  }

  // One join attempt: a fresh join command from the plane, then the join script. Returns the
  // script's exit status (10 preflight, 11 timed out, other failure).
  int join_once(const Plane& plane) {
    const JoinCommand jc = fresh_join_command(plane);
    say(fmt::format("join command from {} (token valid 15 min, CA pinned {})", plane.node->name,
                    jc.ca_hash.substr(0, 19) + "..."));
    const int st = stream(
        ctx_.remote, k8s_scripts::kJoin,
        {{"ENDPOINT", jc.endpoint}, {"JOIN_TOKEN", jc.token}, {"CA_HASH", jc.ca_hash}}, true);
    return st;
  }

  // A new bootstrap token and the join command from the plane (and the Node object of an
  // earlier machine of this name removed). Under TCG on a loaded host the plane's API server
  // can stop answering for minutes ("TLS handshake timeout", then "connection refused" while
  // the kubelet restarts it: seen with two workers preparing at once). So: wait until its
  // /readyz answers ok, then ask; every call bounded in the guest, a new session each time,
  // until a deadline (not a count). Failing, the error carries the API server's last log lines.
  JoinCommand fresh_join_command(const Plane& plane) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(20);
    const std::string ready_cmd = fmt::format(
        "timeout 40 kubectl --kubeconfig {} --request-timeout=30s get --raw=/readyz 2>&1",
        kAdminConf);
    std::string why;
    auto last_say = std::chrono::steady_clock::now() - std::chrono::minutes(5);
    for (int attempt = 1;; ++attempt) {
      try {
        auto cp = ctx_.peer(plane.node->name, plane.step->name);
        auto [rst, rout] = capture(*cp, ready_cmd, false, std::chrono::seconds(60));
        if (rst == 0 && rout.rfind("ok", 0) == 0) {
          capture(*cp, fmt::format("timeout 90 kubectl --kubeconfig {} --request-timeout=60s "
                                   "delete node {} --ignore-not-found --wait=false",
                                   kAdminConf, communicator::shell_quote(ctx_.node.name)));
          auto [st, out] =
              capture(*cp, "timeout 90 kubeadm token create --ttl 15m --print-join-command", true);
          JoinCommand jc = parse_join_command(out);
          if (st == 0 && !jc.token.empty() && !jc.ca_hash.empty() && !jc.endpoint.empty()) {
            ctx_.publish("join_token", jc.token, true);  // masked in every output from now on
            return jc;
          }
          why = fmt::format("`kubeadm token create` exit status {}", st);
        } else {
          std::string first = rout.substr(0, rout.find('\n'));
          why = fmt::format("its /readyz: {}", first.empty() ? fmt::format("exit {}", rst) : first);
        }
      } catch (const SshError& e) {
        why = e.what();
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        std::string tail;
        try {
          auto cp = ctx_.peer(plane.node->name, plane.step->name);
          tail = capture(*cp,
                         "id=$(docker ps -aq --filter name=k8s_kube-apiserver 2>/dev/null | "
                         "head -n1); [ -n \"$id\" ] && docker logs --tail 12 \"$id\" 2>&1",
                         false, std::chrono::seconds(60))
                     .second;
        } catch (const std::exception&) {
        }
        throw Error(
            "{}: {}'s API server gave no join command within 20 min (after {} "
            "attempts; last: {}){}",
            step_title(ctx_), plane.node->name, attempt, why.substr(0, 200),
            tail.empty() ? "" : "; its last log lines:\n" + tail);
      }
      if (std::chrono::steady_clock::now() - last_say >= std::chrono::minutes(1)) {
        say(fmt::format("waiting for {}'s API server to answer ({}); trying again every 15 s",
                        plane.node->name, why.substr(0, 160)));
        last_say = std::chrono::steady_clock::now();
      }
      ctx_.pause(std::chrono::seconds(15));
    }
  }

  bool node_ready(Remote& cp) const {
    auto [st, out] =
        capture(cp,
                fmt::format("kubectl --kubeconfig {} get node {} -o "
                            "jsonpath='{{.status.conditions[?(@.type==\"Ready\")].status}}' "
                            "2>/dev/null",
                            kAdminConf, communicator::shell_quote(ctx_.node.name)),
                false, std::chrono::seconds(60));
    return st == 0 && out.rfind("True", 0) == 0;
  }

  // kubenet routes: every kubernetes node of the lab gets a route to every other node's
  // podCIDR via that node's lab address. Nodes not reachable now are skipped (they refresh
  // the routes when they join).
  void routes(const Plane& plane) {
    std::string table;
    const std::string q = fmt::format(
        "kubectl --kubeconfig {} get nodes -o jsonpath='{{range .items[*]}}{{.metadata.name}} "
        "{{.spec.podCIDR}} {{.status.addresses[?(@.type==\"InternalIP\")].address}}{{\"\\n\"}}"
        "{{end}}'",
        kAdminConf);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
    for (;;) {
      int st;
      if (plane.node == &ctx_.node || plane.node->name == ctx_.node.name) {
        std::tie(st, table) = capture(ctx_.remote, q);
      } else {
        auto cp = ctx_.peer(plane.node->name, plane.step->name);
        std::tie(st, table) = capture(*cp, q);
      }
      // This node's podCIDR is assigned by the controller manager shortly after it registers.
      bool mine = false;
      std::istringstream in(table);
      for (std::string l; std::getline(in, l);)
        if (l.rfind(ctx_.node.name + " ", 0) == 0 && l.find('/') != std::string::npos) mine = true;
      if (st == 0 && mine) break;
      if (std::chrono::steady_clock::now() > deadline)
        throw Error("{}: {} got no podCIDR from the controller manager within 3 min",
                    step_title(ctx_), ctx_.node.name);
      ctx_.pause(std::chrono::seconds(3));
    }
    std::set<std::string> k8s_nodes;
    if (ctx_.topo)
      for (const auto& n : ctx_.topo->nodes)
        for (const auto& st : n.provision)
          if (st.type == "kubernetes") k8s_nodes.insert(n.name);
    k8s_nodes.insert(ctx_.node.name);
    for (const auto& name : k8s_nodes) {
      const auto cmds = route_commands(table, name);
      if (cmds.empty()) continue;
      std::string script = "set -e";
      for (const auto& c : cmds) script += "; " + c;
      try {
        int st;
        if (name == ctx_.node.name) {
          st = capture(ctx_.remote, script).first;
        } else {
          auto r = ctx_.peer(name);
          st = capture(*r, script).first;
        }
        if (st != 0) throw Error("exit status {}", st);
        say(fmt::format("pod routes on {}: {}", name, fmt::join(cmds, "; ")));
      } catch (const Interrupted&) {
        throw;
      } catch (const std::exception& e) {
        if (name == ctx_.node.name)
          throw Error("{}: setting the pod routes failed: {}", step_title(ctx_), e.what());
        say(fmt::format("pod routes on {} not updated now ({}); they are when it joins", name,
                        e.what()));
      }
    }
  }

  Context& ctx_;
  const KubernetesSettings& s_;
  std::string ip_;
};

}  // namespace

ProbeResult KubernetesProvisioner::probe(Context& ctx) {
  Run run(ctx);
  const auto& s = ctx.step.as<KubernetesSettings>();
  if (s.role == "control-plane") {
    auto [st, out] = run.capture(ctx.remote, k8s_scripts::kPlaneProbe);
    if (st != 0) return ProbeResult::Unknown;
    const bool ready = out.find("ready") != std::string::npos;
    const bool registered = out.find("registered") != std::string::npos;
    log::debug("provision", "{}: /readyz {}, node {}", step_title(ctx), ready ? "ok" : "not ok",
               registered ? "registered" : "not registered");
    if (!ready || !registered) return ProbeResult::Absent;
    if (!fs::exists(kubeconfig_path(ctx.project_dir))) return ProbeResult::Absent;
    return ProbeResult::Present;
  }
  auto [st, out] = run.capture(
      ctx.remote,
      "test -f /etc/kubernetes/kubelet.conf && systemctl is-active -q kubelet && echo joined");
  if (st != 0 && out.find("joined") == std::string::npos) return ProbeResult::Absent;
  if (out.find("joined") == std::string::npos) return ProbeResult::Absent;
  const Plane plane = find_plane(ctx);
  try {
    auto cp = ctx.peer(plane.node->name, plane.step->name);
    return run.node_ready(*cp) ? ProbeResult::Present : ProbeResult::Absent;
  } catch (const Interrupted&) {
    throw;
  } catch (const std::exception& e) {
    log::debug("provision", "{}: cannot ask the control plane: {}", step_title(ctx), e.what());
    return ProbeResult::Absent;
  }
}

void KubernetesProvisioner::apply(Context& ctx) {
  Run run(ctx);
  const auto& s = ctx.step.as<KubernetesSettings>();
  const fs::path bundle = run.check_bundle();  // on the host, before the guest is touched
  const Plane plane = find_plane(ctx);
  run.prep(bundle);
  if (s.role == "control-plane")
    run.init();
  else
    run.join(plane);
  run.routes(plane);
}

}  // namespace vmlab::provisioners
