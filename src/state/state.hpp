#pragma once
// The lab's record in <project>/.vmlab/state.json: which machines vmlab created, where to
// reach them, which provisioning steps have run. The hypervisor stays the truth for whether
// a machine exists; commands reconcile this record with provider->list().
// Writes are atomic (temp file + fsync + rename). Thread-safe: executor threads update it.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace vmlab::state {

struct StepRecord {
  std::string finished_at;  // ISO 8601 UTC
  std::string digest;       // digest of the step's definition when it ran
  // Non-secret values the step handed on (provisioners/outputs.hpp). Secrets never land here.
  std::map<std::string, std::string> outputs;
};

struct MachineRecord {
  bool created = false;
  std::string ssh_host;
  int ssh_port = 0;
  std::string box;  // the box it was created from ("" in records written before it was kept)
  std::map<std::string, StepRecord> steps;  // step name -> record (only successful runs)
  bool provisioned = false;                 // every step of the node has run
  // A `halt` of the machine began and has not finished (it was killed): the guest may still
  // be shutting down, so the next `up` finishes the halt before it starts the machine.
  bool halting = false;
};

struct LabRecord {
  std::string lab_id;  // "<name>-<6 hex>", fixed at the first `up`
  std::string provider;
  std::map<std::string, MachineRecord> machines;
};

class Store {
 public:
  explicit Store(std::filesystem::path project_dir);

  // Loads state.json if present (a missing file is an empty record). Throws vmlab::Error
  // naming the file when it exists but cannot be parsed.
  void load();
  // Atomically writes the record (creates .vmlab/ if needed).
  void save();

  // Snapshot copy / in-place update under the store's mutex; update() saves afterwards.
  LabRecord get() const;
  // A failed write (a full disk) throws and leaves both the file and the record as they were.
  template <typename F>
  void update(F&& f) {
    std::lock_guard lock(mu_);
    LabRecord next = rec_;
    f(next);
    write_locked(next);
    rec_ = std::move(next);
  }
  const std::filesystem::path& project_dir() const { return project_; }

 private:
  void save_locked();
  void write_locked(const LabRecord& r) const;
  std::filesystem::path project_;
  mutable std::mutex mu_;
  LabRecord rec_;
};

// The record as state.json holds it, and back (a snapshot keeps the record of its moment).
// record_from_text throws vmlab::Error naming `where` when the text is not a record.
std::string record_text(const LabRecord& r);
LabRecord record_from_text(const std::string& text, const std::string& where);

// "<name>-<first 6 hex of FNV-1a(absolute project dir)>": stable for a project directory.
std::string make_lab_id(const std::string& lab_name, const std::filesystem::path& project_dir);

// Writes `content` to `path` atomically: temp file in the same directory, fsync, rename.
void write_file_atomic(const std::filesystem::path& path, const std::string& content,
                       unsigned mode = 0644);

// Current UTC time, ISO 8601.
std::string now_iso8601();

}  // namespace vmlab::state
