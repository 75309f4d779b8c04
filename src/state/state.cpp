#include "state/state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "core/text_util.hpp"
#include "state/filenames.hpp"

namespace vmlab::state {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json to_json(const LabRecord& r) {
  json machines = json::object();
  for (const auto& [name, m] : r.machines) {
    json steps = json::object();
    for (const auto& [s, rec] : m.steps) {
      steps[s] = {{"finished_at", rec.finished_at}, {"digest", rec.digest}};
      if (!rec.outputs.empty()) steps[s]["outputs"] = rec.outputs;
    }
    machines[name] = {{"created", m.created},     {"ssh_host", m.ssh_host},
                      {"ssh_port", m.ssh_port},   {"steps", steps},
                      {"provisioned", m.provisioned}};
    if (m.halting) machines[name]["halting"] = true;
    if (!m.box.empty()) machines[name]["box"] = m.box;
  }
  return {{"version", 1}, {"lab_id", r.lab_id}, {"provider", r.provider}, {"machines", machines}};
}

// JSON that is not a record as record_text() writes it; the callers' json::exception handlers
// report it like a syntax error, naming the file.
class NotARecord : public json::exception {
 public:
  explicit NotARecord(const std::string& what) : json::exception(0, what.c_str()) {}
};

// ssh_port must be an integer port (0 = not known yet). Reading any other number as an int
// was undefined behaviour (1e300: float-cast overflow; found by tests/fuzz/fuzz_state).
int port_of(const std::string& machine, const json& m) {
  const auto it = m.find("ssh_port");
  if (it == m.end()) return 0;
  if (!it->is_number_integer() || *it < 0 || *it > 65535)
    throw NotARecord(
        fmt::format("machine \"{}\": ssh_port {} is not a port number", machine, it->dump()));
  return it->get<int>();
}

LabRecord from_json(const json& j) {
  LabRecord r;
  r.lab_id = j.value("lab_id", "");
  r.provider = j.value("provider", "");
  const json machines = j.value("machines", json::object());  // keep alive while iterating
  for (const auto& [name, m] : machines.items()) {
    MachineRecord mr;
    mr.created = m.value("created", false);
    mr.ssh_host = m.value("ssh_host", "");
    mr.ssh_port = port_of(name, m);
    mr.box = m.value("box", "");
    mr.provisioned = m.value("provisioned", false);
    mr.halting = m.value("halting", false);
    const json steps = m.value("steps", json::object());
    for (const auto& [s, rec] : steps.items())
      mr.steps[s] = StepRecord{rec.value("finished_at", ""), rec.value("digest", ""),
                               rec.value("outputs", std::map<std::string, std::string>{})};
    r.machines[name] = std::move(mr);
  }
  return r;
}

}  // namespace

std::string record_text(const LabRecord& r) {
  return to_json(r).dump(2) + "\n";
}

LabRecord record_from_text(const std::string& text, const std::string& where) {
  try {
    return from_json(json::parse(text));
  } catch (const json::exception& e) {
    throw Error("cannot read {}: {}", where, e.what());
  }
}

Store::Store(fs::path project_dir) : project_(std::move(project_dir)) {}

void Store::load() {
  std::lock_guard lock(mu_);
  const fs::path p = filenames::state_file(project_);
  std::ifstream in(p);
  if (!in) {
    rec_ = {};
    return;
  }
  try {
    rec_ = from_json(json::parse(in));
  } catch (const json::exception& e) {
    throw Error("cannot read {}: {} (remove it and run `vmlab destroy -f` to start over)",
                p.string(), e.what());
  }
}

void Store::save() {
  std::lock_guard lock(mu_);
  save_locked();
}

void Store::save_locked() {
  write_locked(rec_);
}

void Store::write_locked(const LabRecord& r) const {
  write_file_atomic(filenames::state_file(project_), record_text(r));
}

LabRecord Store::get() const {
  std::lock_guard lock(mu_);
  return rec_;
}

std::string make_lab_id(const std::string& lab_name, const fs::path& project_dir) {
  const auto h = util::fnv1a(fs::absolute(project_dir).lexically_normal().string());
  return fmt::format("{}-{:06x}", lab_name, h & 0xffffff);
}

void write_file_atomic(const fs::path& path, const std::string& content, unsigned mode) {
  fs::create_directories(path.parent_path());
  std::string tmpl = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) throw Error("cannot create a temporary file next to {}: {}", path.string(),
                          std::strerror(errno));
  bool ok = fchmod(fd, mode) == 0;
  const char* p = content.data();
  size_t left = content.size();
  while (ok && left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ok = false;
    else {
      p += n;
      left -= static_cast<size_t>(n);
    }
  }
  ok = ok && fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok || std::rename(tmpl.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmpl.c_str());
    throw Error("cannot write {}: {}", path.string(), std::strerror(err));
  }
}

std::string now_iso8601() {
  return util::iso8601_utc(std::time(nullptr));
}

}  // namespace vmlab::state
