#pragma once
// Every on-disk name vmlab uses, declared once. Project state lives in <project>/.vmlab/;
// boxes live in the user's data dir ($VMLAB_HOME, else $XDG_DATA_HOME/vmlab, else
// ~/.local/share/vmlab).
#include <filesystem>
#include <string>

namespace vmlab::filenames {
namespace fs = std::filesystem;

inline constexpr const char* kVmfile = "Vmfile";           // found in the project dir or a parent
inline constexpr const char* kStateDir = ".vmlab";          // in the project directory
inline constexpr const char* kStateFile = "state.json";      // machines + provisioning record
inline constexpr const char* kLockFile = "lock";             // flock()ed by mutating commands
inline constexpr const char* kKeysDir = "keys";              // per-lab key pair
inline constexpr const char* kLabKey = "id_ed25519";         // + ".pub"
inline constexpr const char* kHostKeysDir = "hostkeys";      // hostkeys/<node>/ssh_host_ed25519_key
inline constexpr const char* kHostKeyFile = "ssh_host_ed25519_key";
inline constexpr const char* kKnownHosts = "known_hosts";    // pinned host keys, OpenSSH format
inline constexpr const char* kSshConfig = "ssh_config";      // generated for `vmssh`
inline constexpr const char* kLogsDir = "logs";              // console logs, provisioner output
inline constexpr const char* kKubeconfig = "kubeconfig";     // the lab cluster's admin kubeconfig
inline constexpr const char* kInventory = "inventory.ini";  // written by `vmlab ci` for its command
inline constexpr const char* kArtifactsDir = "artifacts";   // `vmlab ci` runs; kept by destroy

inline fs::path state_dir(const fs::path& project) { return project / kStateDir; }
inline fs::path state_file(const fs::path& project) { return state_dir(project) / kStateFile; }
inline fs::path lock_file(const fs::path& project) { return state_dir(project) / kLockFile; }
inline fs::path lab_key(const fs::path& project) {
  return state_dir(project) / kKeysDir / kLabKey;
}
inline fs::path host_key(const fs::path& project, const std::string& node) {
  return state_dir(project) / kHostKeysDir / node / kHostKeyFile;
}
inline fs::path known_hosts(const fs::path& project) { return state_dir(project) / kKnownHosts; }
inline fs::path ssh_config(const fs::path& project) { return state_dir(project) / kSshConfig; }
inline fs::path logs_dir(const fs::path& project) { return state_dir(project) / kLogsDir; }
inline fs::path kubeconfig(const fs::path& project) {
  return state_dir(project) / kKubeconfig;
}
inline fs::path inventory(const fs::path& project) {
  return state_dir(project) / kInventory;
}
inline fs::path artifacts_dir(const fs::path& project) {
  return state_dir(project) / kArtifactsDir;
}

// Box store: <data>/boxes/<name>/{box.qcow2, box.json}
inline constexpr const char* kBoxesDir = "boxes";
inline constexpr const char* kBoxDisk = "box.qcow2";
inline constexpr const char* kBoxMeta = "box.json";
inline constexpr const char* kBoxSource = "source.json";  // where the box came from
// Downloads of boxes by URL: <data>/downloads/sha256-<hex>.part while it arrives (resumed
// from there), sha256-<hex> once verified, until it is installed.
inline constexpr const char* kDownloadsDir = "downloads";
fs::path data_dir();  // resolves $VMLAB_HOME etc. (filenames.cpp)
inline fs::path box_dir(const std::string& box) { return data_dir() / kBoxesDir / box; }
inline fs::path downloads_dir() {
  return data_dir() / kDownloadsDir;
}

}  // namespace vmlab::filenames
