#pragma once
// Boxes: base images shared by every lab of the user. A box is a directory
//   <data>/boxes/<name>/box.qcow2   the base disk (qcow2; overlays are backed by it)
//   <data>/boxes/<name>/box.json    metadata (below)
//   <data>/boxes/<name>/<kernel>, <initrd>   optional, for direct kernel boot
// box.json: {"format":"qcow2","user":"vmlab","kernel":"vmlinuz","initrd":"initrd.img",
//            "cmdline":"console=ttyS0 ...","seed":"cloud-init"|"vmlab-init"}
//   user:  the login user vmlab creates through the seed (root on the tiny test box)
//   seed:  "cloud-init" = real cloud-init reads the NoCloud seed; "vmlab-init" = the test
//          box's tiny init reads the same seed's plain files under vmlab/ (see boxes/README.md);
//          "vagrant" = no seed is read: a Vagrant box (vagrant_box.hpp), configured over SSH
//          at its first login with Vagrant's insecure key
// A bare .qcow2 (a distribution's cloud image) gets the defaults: user vmlab made by
// cloud-init from the seed, no kernel (the disk boots itself).
//   <data>/boxes/<name>/source.json  where it came from: {"source":URL or path,"sha256":HEX}
//          (written by add_box; boxes added before it existed have none)
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vmlab::boxes {

// A box name as the Vmfile and `vmlab box add` accept it (it names a directory of the store,
// so no '/', no leading '.'): checked where it is written.
bool valid_box_name(std::string_view name);
extern const char* const kBoxNameRule;  // the rule as users read it

struct Box {
  std::string name;
  std::filesystem::path dir;
  std::filesystem::path disk;    // absolute path of box.qcow2
  std::string format = "qcow2";
  std::string user = "vmlab";
  std::filesystem::path kernel;  // absolute, empty if the disk boots itself
  std::filesystem::path initrd;  // absolute, may be empty
  std::string cmdline;
  std::string seed = "cloud-init";
  std::uint64_t virtual_size_mib = 0;  // of box.qcow2 (0 if unknown)
  std::uint64_t size_bytes = 0;        // the box's files on disk
  std::string source;                  // URL or absolute path it was added from ("" unknown)
  std::string sha256;                  // digest of what was added (the downloaded or given file; a
                                       // directory's box.qcow2); "" unknown
};

// Where a box comes from, recorded in its source.json. Empty fields: add_box fills them in
// from PATH (its absolute path; the digest of the file, or of a directory's box.qcow2).
struct BoxOrigin {
  std::string source;
  std::string sha256;
};

inline constexpr const char* kSeedVagrant = "vagrant";

// Whether vmlab must configure a new machine of this box over SSH at its first boot (login
// as the box's user with Vagrant's insecure key, then the lab key, hostname, addresses):
// box.json "seed": "vagrant".
bool needs_first_login(const Box& box);
// Whether the box reads vmlab's NoCloud seed at boot (so the provider attaches one).
bool reads_seed(const Box& box);

// The guest's own first-boot configuration, which SSH may answer before it is done (real
// cloud-init's config stage, apt sources and debconf among it, runs after sshd is up).
struct GuestInit {
  std::string name;          // "cloud-init": shown as "waiting for <name> to finish"
  std::string wait_command;  // shell command that returns once it finished (status ignored)
};
// What the core waits for after SSH answers and before provisioning; nullopt when nothing
// (the test box's vmlab-init applies the seed before it starts sshd).
std::optional<GuestInit> guest_init(const Box& box);

// Finds an installed box; nullopt if absent.
std::optional<Box> find_box(const std::string& name);
// Installed boxes, sorted by name.
std::vector<Box> list_boxes();
// Installs a box from a directory (box.qcow2 + box.json [+ kernel/initrd]), a bare .qcow2
// file (metadata defaults) or a libvirt Vagrant box file (vagrant_box.hpp). Atomic: copies into a
// temp dir, then renames. Throws UsageError if NAME exists or PATH is not a box. Archives and
// URLs: boxes/install.hpp.
Box add_box(const std::string& name, const std::filesystem::path& path,
            const BoxOrigin& origin = {});
// Removes an installed box; throws UsageError if absent.
void remove_box(const std::string& name);

}  // namespace vmlab::boxes
