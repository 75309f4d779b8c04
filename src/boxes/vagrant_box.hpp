#pragma once
// Vagrant boxes for the libvirt provider (`vmlab box add NAME FILE.box`): a tar archive,
// usually gzip'ed, holding
//   metadata.json   {"provider":"libvirt","format":"qcow2","virtual_size":N}  (N in GB)
//   box.img         the qcow2 disk, which boots from itself (bootloader on the disk)
//   Vagrantfile     optional; kept in the box directory, not interpreted
// Such boxes have no cloud-init: they come with user `vagrant`, Vagrant's published insecure
// key in its authorized_keys, NOPASSWD sudo and DHCP on the first NIC. Their box.json says
// "seed": "vagrant" (boxes::needs_first_login), and vmlab configures them over SSH at their
// first boot (executor/first_login.hpp).
#include <filesystem>
#include <string>
#include <string_view>

namespace vmlab::boxes::vagrant {

// Whether `file` starts like a tar archive or a gzip/bzip2/xz/zstd stream (by its first
// bytes; what is inside is checked by unpack()).
bool looks_like_box(const std::filesystem::path& file);

// Unpacks the Vagrant box `file` into the existing directory `dir` as a vmlab box:
// box.img -> box.qcow2, metadata.json and Vagrantfile kept as vagrant-metadata.json and
// Vagrantfile, and a box.json {"format":"qcow2","user":"vagrant","seed":"vagrant"}. Extracts
// nothing else. Throws UsageError naming `file` when it is not a libvirt qcow2 Vagrant box
// (no metadata.json, another provider or format, no box.img, several disks), Error when it
// cannot be read or written.
void unpack(const std::filesystem::path& file, const std::filesystem::path& dir);

// Checks a metadata.json text; returns the problem ("" if it is a libvirt qcow2 box).
std::string metadata_problem(std::string_view json);

// Vagrant's published insecure key pair (hashicorp/vagrant keys/vagrant, keys/vagrant.pub):
// public by design, it is what base boxes authorize until the first login replaces it.
extern const char* const kInsecurePrivateKey;
extern const char* const kInsecurePublicKey;

}  // namespace vmlab::boxes::vagrant
