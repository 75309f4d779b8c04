#pragma once
// Whole-lab snapshots (`vmlab snapshot save|restore|list|delete`): every machine of the lab,
// taken as one moment (pause every running machine, snapshot each, resume them), with the
// provisioning record and the Vmfile of that moment, so that `up` after a restore knows
// exactly what ran. The machines' snapshots are the provider's (Provider::snapshot_*); the
// rest is .vmlab/snapshots/<NAME>/{snapshot.json, state.json, Vmfile}, written last (a
// snapshot without its snapshot.json is not one; `delete` removes the leftovers).
#include <map>
#include <string>
#include <vector>

#include "executor/reporter.hpp"
#include "lab/lab.hpp"

namespace vmlab::executor {

struct LabSnapshot {
  std::string name;
  std::string created;                       // ISO 8601 UTC
  std::map<std::string, std::string> nodes;  // node -> "running" | "stopped" at save
};

// A snapshot name: 1-64 of [A-Za-z0-9._-], not starting with '.' or '-'. The rule as text.
bool valid_snapshot_name(const std::string& name);
extern const char* const kSnapshotNameRule;
// "snap-YYYYMMDD-HHMMSS" (UTC): the name `save` gives when none is given.
std::string default_snapshot_name();

// The lab's snapshots, oldest first (read from .vmlab/snapshots; no provider call).
std::vector<LabSnapshot> list_snapshots(const lab::Lab& lab);

// Saves snapshot `name` of every created machine of the lab. UsageError: a bad or taken
// name, a lab with no machine. Returns false (after reporting) when a machine failed; then no
// machine keeps a snapshot of that name.
bool save_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep);
// Returns every machine of the snapshot to it (running ones running again), and the record of
// those machines to the snapshot's. Warns when the Vmfile differs from the snapshot's (and
// says how) and about machines the snapshot does not have (left as they are).
bool restore_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep);
// Removes the snapshot from every machine and from .vmlab. UsageError when it does not exist.
bool delete_snapshot(lab::Lab& lab, const std::string& name, Reporter& rep);

// How two Vmfile texts differ, as lines for a warning: "-  old line (line N)" for lines only
// in `before`, "+  new line (line N)" for lines only in `now`; at most `max` lines, then
// "... (K more)". Empty when the texts are equal.
std::vector<std::string> vmfile_changes(const std::string& before, const std::string& now,
                                        size_t max = 12);

}  // namespace vmlab::executor
